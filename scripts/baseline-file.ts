import { isPlainObject } from '../lib/plain-object';
import { sha256Hex } from '../lib/sha256';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { kindOf, type Manifest } from '../lib/kinds';
import type { Model } from '../lib/model';
import { BASELINE_FILE, buildBaseline } from '../lib/monitoring/baseline';
import type { ScoredRecord } from '../lib/capture/spec';
import { readCsv } from '../lib/protocols/rest/formats/csv';
import { settings } from '../lib/settings';

/**
 * A version's baseline from a data file (README, "Monitoring"), for
 * `npm run model:baseline`, `model:add --baseline` and the bundled models'
 * training scripts: every record scored by the loaded model through its
 * kind's predict, as a request is, then profiled (lib/monitoring/baseline.ts).
 * A CSV is read as the CSV route reads it; a JSON-lines file holds one
 * predict body per line (one record, or a picture as {"image": {"b64": …}}).
 * Records the model refuses are counted and left out, never guessed.
 */

export interface BaselineWritten {
  manifest: Manifest;
  records: number;
  refused: { line: number; reason: string }[];
  bytes: number;
}

/** The predict bodies of a data file, with the line (or row) each came from. */
function bodiesOf(file: string, text: string): { body: unknown; line: number }[] {
  if (/\.csv$/i.test(file)) return readCsv(text).records.map((record, i) => ({ body: record, line: i + 2 }));
  return text
    .split('\n')
    .map((line, i) => ({ text: line.trim(), line: i + 1 }))
    .filter((l) => l.text !== '')
    .map(({ text: json, line }) => {
      try {
        return { body: JSON.parse(json) as unknown, line };
      } catch {
        return { body: Symbol.for('invalid json'), line };
      }
    });
}

async function scoreOne(model: Model, body: unknown): Promise<ScoredRecord[]> {
  return (await model.predict({ json: body })).scored();
}

export async function scoreForBaseline(model: Model, file: string): Promise<{ records: ScoredRecord[]; refused: BaselineWritten['refused'] }> {
  const bodies = bodiesOf(file, readFileSync(file, 'utf8'));
  const records: ScoredRecord[] = [];
  const refused: BaselineWritten['refused'] = [];
  const batch = kindOf(model.manifest).records ? settings.maxBatch() : 1;
  for (let start = 0; start < bodies.length; start += batch) {
    const chunk = bodies.slice(start, start + batch);
    if (chunk.length > 1 && chunk.every((b) => isPlainObject(b.body))) {
      try {
        records.push(...(await model.predict({ json: { instances: chunk.map((b) => b.body) } })).scored());
        continue;
      } catch {
        // One bad record refuses its batch: score them one by one to find it and keep the others.
      }
    }
    for (const { body, line } of chunk) {
      try {
        if (typeof body === 'symbol') throw new Error('the line is not JSON');
        records.push(...(await scoreOne(model, body)));
      } catch (error) {
        refused.push({ line, reason: (error as Error).message });
      }
    }
  }
  return { records, refused };
}

/**
 * Writes baseline.json into the version's folder and returns the manifest
 * with the file listed (its sha256) — not yet written: the caller writes the
 * manifest where its own checks want it.
 */
export async function writeBaseline(dir: string, manifest: Manifest, model: Model, file: string, sourceName?: string): Promise<BaselineWritten> {
  const { records, refused } = await scoreForBaseline(model, file);
  if (records.length === 0) throw new Error(`no record of ${path.basename(file)} could be scored (${refused[0]?.reason ?? 'the file is empty'})`);
  const data = readFileSync(file);
  const baseline = buildBaseline(records, kindOf(manifest).monitoring(manifest), new Set(Object.keys(manifest.capture ?? {})), {
    model: manifest.name,
    version: manifest.version,
    source: { name: sourceName ?? path.basename(file), records: records.length, sha256: sha256Hex(data) },
  });
  const text = `${JSON.stringify(baseline)}\n`;
  writeFileSync(path.join(dir, BASELINE_FILE), text);
  const updated = { ...manifest, files: { ...manifest.files, [BASELINE_FILE]: { sha256: sha256Hex(text) } } } as Manifest;
  return { manifest: updated, records: records.length, refused, bytes: Buffer.byteLength(text) };
}
