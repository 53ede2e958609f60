import { ModelNotFound, ModelUnavailable } from '../errors';
import { findModel, servedRoot, versionIn, type ModelEntry, type VersionEntry } from '../repository/model-repository';
import type { Traffic } from '../repository/parse-traffic';
import { shorten } from '../shorten';

/** What a request asks for beside its model: perhaps an exact version or a label. */
export interface RouteChoice {
  version?: string;
  label?: string;
  /** API Gateway's id of the caller's key, for a sticky split. */
  apiKeyId?: string;
}

export interface Routed {
  served: VersionEntry;
  /** Also scores the request (split-routed requests only). */
  shadow?: VersionEntry;
  /** The model's traffic file, when the choice read it. */
  traffic?: Traffic;
}

/** A stable bucket in [0, 100) for a key id and a model: FNV-1a, so the same caller lands in the same place. */
export function stickyBucket(apiKeyId: string, model: string): number {
  let hash = 0x811c9dc5;
  const text = `${model}\u0000${apiKeyId}`;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash % 100;
}

/** A version's share of a split: 0 for a version the file does not name (own keys only). */
function weightOf(split: Traffic['split'], version: string): number {
  return Object.hasOwn(split, version) ? split[version]! : 0;
}

/**
 * The version whose cumulative weight covers `bucket` (0 <= bucket < 100),
 * oldest version first: a fixed order, where a JSON object's key order is
 * not (integer-like keys such as "2" come first whatever the file says).
 */
export function versionForBucket(model: ModelEntry, split: Traffic['split'], bucket: number): string {
  let covered = 0;
  let last = '';
  for (const { version } of model.versions) {
    const weight = weightOf(split, version);
    covered += weight;
    if (weight > 0) last = version;
    if (bucket < covered) return version;
  }
  return last; // unreachable: the weights sum to 100 (parse-traffic.ts)
}

function usableTraffic(model: ModelEntry): Traffic | null {
  const state = model.traffic;
  if (state === null) return null;
  if ('problem' in state) throw new ModelUnavailable(`model unavailable: ${state.problem}`);
  return state.traffic;
}

/** A version the traffic file names: parse-traffic.ts checked that each is deployed. */
function versionOf(model: ModelEntry, version: string): VersionEntry {
  const entry = model.versions.find((v) => v.version === version);
  if (!entry) throw new ModelUnavailable(`model unavailable: traffic.json names version "${shorten(version)}", which is not deployed`);
  return entry;
}

/**
 * Which version serves a request (README, "Releasing a new version"): an
 * exact version as named, whatever traffic.json says; a label as the file
 * maps it; otherwise the file's split (sticky by key id when it says so, a
 * fresh draw per request without a key id), or the newest version when the
 * model has no file. A file that cannot be used makes the routes that read
 * it answer 503 with its reason.
 */
export function routeRequest(model: ModelEntry, choice: RouteChoice): Routed {
  if (choice.version !== undefined) return { served: versionIn(model, choice.version) };
  const traffic = usableTraffic(model);
  if (choice.label !== undefined) {
    const labels = traffic ? Object.keys(traffic.labels) : [];
    // Own properties only: "constructor" or "__proto__" is not a label.
    const version = traffic && Object.hasOwn(traffic.labels, choice.label) ? traffic.labels[choice.label] : undefined;
    if (version === undefined) {
      throw new ModelNotFound(`model "${model.name}" has no label "${shorten(choice.label)}"; labels: ${labels.join(', ') || 'none (no traffic.json)'}`);
    }
    return { served: versionOf(model, version), traffic: traffic! };
  }
  if (!traffic) return { served: model.versions.at(-1)! };
  const sticky = traffic.sticky === 'api_key' && choice.apiKeyId !== undefined && choice.apiKeyId !== '';
  const bucket = sticky ? stickyBucket(choice.apiKeyId!, model.name) : Math.floor(Math.random() * 100);
  const served = versionOf(model, versionForBucket(model, traffic.split, bucket));
  return {
    served,
    // A request served by the shadow's own version has nothing to compare.
    ...(traffic.shadow !== undefined && traffic.shadow !== served.version ? { shadow: versionOf(model, traffic.shadow) } : {}),
    traffic,
  };
}

/** Every version a model's traffic file can serve (split and labels), or the newest without one. */
export function servableVersions(model: ModelEntry, traffic: Traffic | null): VersionEntry[] {
  if (!traffic) return [model.versions.at(-1)!];
  const named = new Set([...Object.keys(traffic.split).filter((v) => traffic.split[v]! > 0), ...Object.values(traffic.labels)]);
  return model.versions.filter((v) => named.has(v.version));
}

/** Every version a model's traffic file serves or shadows (the newest without a file): what loads at init and what model:check needs. */
export function trafficVersions(model: ModelEntry, traffic: Traffic | null): VersionEntry[] {
  const entries = servableVersions(model, traffic);
  const shadow = traffic?.shadow === undefined ? undefined : model.versions.find((v) => v.version === traffic.shadow);
  return shadow && !entries.includes(shadow) ? [...entries, shadow] : entries;
}

/**
 * The version a request for metadata names: that exact version, or without
 * one the version a split serves most (the oldest on a tie), or the newest
 * without a file. 404 for a version the model lacks, 503 for a traffic file
 * that cannot be used.
 */
export function describedVersion(model: ModelEntry, version?: string): VersionEntry {
  if (version !== undefined) return versionIn(model, version);
  const traffic = usableTraffic(model);
  if (!traffic) return model.versions.at(-1)!;
  return model.versions.reduce((best, v) => (weightOf(traffic.split, v.version) > weightOf(traffic.split, best.version) ? v : best));
}

/** The primary version of a model named in a models folder (tools and tests; the routes use describedVersion). */
export function primaryVersion(name: string, root = servedRoot()): VersionEntry {
  return describedVersion(findModel(name, root));
}

/** What GET /models/{name} and /health show of a model's traffic file: the file, its problem, or null without one. */
export function trafficView(model: ModelEntry): Traffic | { problem: string } | null {
  const state = model.traffic;
  return state === null ? null : 'problem' in state ? { problem: state.problem } : state.traffic;
}
