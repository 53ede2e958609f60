/**
 * Batch scoring's contract (README, "Batch scoring"): the one core that the
 * local scorer (`npm run score`) and the deployed batch job's scoring
 * function share.
 *
 * - A BatchRow is one row of an input file as a reader made it
 *   (./csv-rows.ts, ./jsonl-rows.ts): its 1-based line in the file and its
 *   record (CSV: the header's names to the row's text values, as the CSV
 *   route makes them; JSON lines: the parsed line), or the error that kept it
 *   from being read (a blank line, a row of another width, a line that is not
 *   JSON, a quote left open).
 * - scoreRows(target, rows, format) answers one ScoredRow per BatchRow, in
 *   the same order and with the same line: the answer, warnings and error
 *   POST /models/{name}/predict gives that record (CSV rows as a text/csv
 *   body, JSON lines as {"instances": [...]}). It goes through the data
 *   plane's infer and the model's predict, never a copy of them: the same
 *   validation, answers and warnings. Unlike the route, a bad record fails
 *   only its own row.
 * - How: up to MAX_BATCH records are scored in one predict call (one
 *   onnxruntime run). When that call is refused, the records its error names
 *   are set aside and the others scored again; a refusal that names none
 *   halves the group. A record set aside is scored alone, so its error is the
 *   one the route gives it alone. A group whose warnings reach the route's
 *   cap (MAX_WARNINGS) is halved too, so no row loses a warning to its
 *   neighbours.
 * - Paths in a row's warnings and error details are the record's own
 *   ("/tenure"), not the batch's ("/rows/3/tenure"); a warning about the
 *   whole file (a column the model ignores, "/columns/customerID") is on
 *   every row, as the route's CSV answer puts it.
 * - It rejects, a failure of the run rather than of a row, only when no row
 *   can be scored: an unknown model, version or label (404), a model that
 *   cannot load or a broken traffic file (503), a model that takes no
 *   records (415), or an error that is this code's own.
 * - A folder of pictures is scored beside this, by ./score-images.ts: each
 *   file as the route scores it sent as the whole body, one predict call a
 *   picture through the same infer, its row keyed by the file's name.
 * - A run is scored by one version: resolveTarget names it once (a label's
 *   version, or without one the version the traffic split serves most),
 *   rather than a fresh draw of the split per call; a caller that scores a
 *   file in several calls passes the resolved version to each.
 */
import { infer } from '../dataplane/infer';
import { ServiceError, UnsupportedMediaType, type ErrorDetail } from '../errors';
import { pointer } from '../json-pointer';
import { kindOf } from '../kinds';
import type { PredictBody, Prediction, Warning } from '../kinds/kind';
import { MAX_WARNINGS } from '../kinds/records/request';
import type { Model } from '../model';
import { assertTaken } from '../protocols/rest/formats';
import { recordsTable, rowPointer } from '../protocols/rest/formats/table';
import { findModel } from '../repository/model-repository';
import { describedVersion, routeRequest } from '../rollout/route';
import { settings } from '../settings';

/** The model a run scores with, as `--model name[@version|:label]` names it. */
export interface BatchTarget {
  name: string;
  version?: string;
  label?: string;
}

/** Why a row was not scored: a stable code of lib/errors.ts's ERROR_CODES, a message, and the record's own paths. */
export interface RowError {
  code: string;
  message: string;
  details?: ErrorDetail[];
}

export type BatchRow = { line: number; record: unknown } | { line: number; error: RowError };

export interface ScoredRow {
  line: number;
  /** The route's answer for the record (no model reference); absent when the row failed. */
  answer?: Record<string, unknown>;
  warnings: ErrorDetail[];
  error?: RowError;
}

/** The input's format: a CSV file's rows are scored as a text/csv body, JSON lines as {"instances": [...]}. */
export type BatchFormat = 'csv' | 'jsonl';

/**
 * The exact version a run scores with (see the contract above): the version
 * named, the one a label names, or the one the model's split serves most.
 * 404 for an unknown model, version or label; 503 for a broken traffic file.
 */
export function resolveTarget(target: BatchTarget): { name: string; version: string } {
  const entry = findModel(target.name);
  const served = target.label !== undefined && target.version === undefined ? routeRequest(entry, { label: target.label }).served : describedVersion(entry, target.version);
  return { name: entry.name, version: served.version };
}

/** The route's body for these records. CSV: the CSV route's table of records (lib/protocols/rest/formats). */
function bodyOf(format: BatchFormat, records: readonly unknown[]): PredictBody {
  if (format === 'jsonl') return { json: { instances: records } };
  return { table: recordsTable({ name: 'the CSV body', mediaType: 'text/csv', warnings: [] }, records) };
}

/** Where record `position` of a batch is, as the route's paths name it: "/rows/3", "/instances/2". */
function recordPointer(format: BatchFormat, position: number): string {
  return format === 'csv' ? rowPointer(position) : pointer('instances', position);
}

const ROW_PATH: Record<BatchFormat, RegExp> = { csv: /^\/rows\/(\d+)(?:\/|$)/, jsonl: /^\/instances\/(\d+)(?:\/|$)/ };

/** A path of the batch as the record's own: "/rows/3/tenure" → "/tenure"; a path about the whole body is kept. */
function ownPath(format: BatchFormat, position: number, path: string): string {
  const prefix = recordPointer(format, position);
  return path === prefix || path.startsWith(`${prefix}/`) ? path.slice(prefix.length) : path;
}

/** The positions of the records an error's details name. */
function namedPositions(format: BatchFormat, details: readonly ErrorDetail[], count: number): Set<number> {
  const named = new Set<number>();
  for (const { path } of details) {
    const match = ROW_PATH[format].exec(path);
    if (!match) continue;
    const position = Number(match[1]) - (format === 'csv' ? 1 : 0);
    if (position >= 0 && position < count) named.add(position);
  }
  return named;
}

/** A refusal of the records themselves (400 validation, 413, 422 non-finite output), as opposed to one of the run. */
function isRecordsError(error: unknown): error is ServiceError {
  return error instanceof ServiceError && error.statusCode >= 400 && error.statusCode < 500 && error.statusCode !== 404 && error.statusCode !== 406 && error.statusCode !== 415;
}

/** A ServiceError as a row's error: the route's code and message, its details' paths the record's own. */
export function rowErrorOf(error: ServiceError, relative: (path: string) => string = (path) => path): RowError {
  const details = error.details.map(({ path, problem }) => ({ path: relative(path), problem }));
  return { code: error.code, message: error.message, ...(details.length > 0 ? { details } : {}) };
}

type Outcome = { answer: Record<string, unknown>; warnings: ErrorDetail[] } | { error: RowError };

interface Pending {
  /** Where the outcome goes. */
  slot: number;
  record: unknown;
}

/** One row's warnings from a prediction of its group: the whole body's, then its own, paths its own. */
function warningsOf(format: BatchFormat, warnings: readonly Warning[], position: number): ErrorDetail[] {
  return warnings
    .filter((w) => w.record === undefined || w.record === position)
    .map(({ path, problem }) => ({ path: ownPath(format, position, path), problem }));
}

/**
 * Scores a group of records in one predict call; on a refusal of records,
 * sets the named ones aside (scored alone) and scores the rest again, or
 * halves a group whose refusal names none (see the contract above).
 */
async function scoreGroup(model: Model, format: BatchFormat, group: readonly Pending[], outcomes: Outcome[]): Promise<void> {
  if (group.length === 0) return;
  let prediction: Prediction;
  try {
    prediction = await model.predict(bodyOf(format, group.map((p) => p.record)));
  } catch (error) {
    if (!isRecordsError(error)) throw error;
    if (group.length === 1) {
      outcomes[group[0]!.slot] = { error: rowErrorOf(error, (path) => ownPath(format, 0, path)) };
      return;
    }
    const named = namedPositions(format, error.details, group.length);
    if (named.size > 0 && named.size < group.length) {
      for (const position of named) await scoreGroup(model, format, [group[position]!], outcomes);
      await scoreGroup(model, format, group.filter((_, position) => !named.has(position)), outcomes);
    } else {
      await halves(model, format, group, outcomes);
    }
    return;
  }
  if (prediction.warnings.length >= MAX_WARNINGS && group.length > 1) {
    await halves(model, format, group, outcomes);
    return;
  }
  const answers = prediction.answers ?? [];
  group.forEach((pending, position) => {
    outcomes[pending.slot] = { answer: answers[position]!, warnings: warningsOf(format, prediction.warnings, position) };
  });
}

async function halves(model: Model, format: BatchFormat, group: readonly Pending[], outcomes: Outcome[]): Promise<void> {
  const middle = Math.ceil(group.length / 2);
  await scoreGroup(model, format, group.slice(0, middle), outcomes);
  await scoreGroup(model, format, group.slice(middle), outcomes);
}

/** 415 before anything is scored when the model takes no records (the route's own check, then the batch scorer's). */
function assertScorable(model: Model, format: BatchFormat): void {
  assertTaken(model.manifest, bodyOf(format, []));
  if (!kindOf(model.manifest).records) {
    throw new UnsupportedMediaType(`the ${model.manifest.name} model takes tensors or files, not records: the batch scorer reads CSV and JSON lines of records (a model that takes pictures scores a folder of them)`);
  }
}

/** Scores a batch of rows (see the contract at the top of this file). */
export async function scoreRows(target: BatchTarget, rows: readonly BatchRow[], format: BatchFormat): Promise<ScoredRow[]> {
  const pending: Pending[] = [];
  rows.forEach((row, slot) => {
    if ('record' in row) pending.push({ slot, record: row.record });
  });
  const outcomes: Outcome[] = new Array<Outcome>(rows.length);
  if (pending.length > 0) {
    await infer(
      resolveTarget(target),
      async (model) => {
        const size = settings.maxBatch();
        for (let start = 0; start < pending.length; start += size) await scoreGroup(model, format, pending.slice(start, start + size), outcomes);
        return { answer: null, compared: null, records: pending.length, signals: [], warnings: 0, inferenceMs: 0 };
      },
      (model) => assertScorable(model, format),
    );
  }
  return rows.map((row, slot) => {
    if ('error' in row) return { line: row.line, warnings: [], error: row.error };
    const outcome = outcomes[slot]!;
    return 'error' in outcome ? { line: row.line, warnings: [], error: outcome.error } : { line: row.line, answer: outcome.answer, warnings: outcome.warnings };
  });
}
