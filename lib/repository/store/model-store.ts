import { createHash, randomUUID } from 'node:crypto';
import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ModelFetchError, ModelLoadError, ModelUnavailable } from '../../errors';
import { logger } from '../../logger';
import { s3, s3Location } from '../../s3';
import { settings } from '../../settings';
import { sha256Hex } from '../../sha256';
import { compareVersions } from '../versions';
import { downloadVerified } from './download';
import { listStore, s3Reason, type StoredFile, type StoreListing } from './store-listing';

/**
 * The model store (MODEL_STORE=s3://bucket/prefix; README, "Large models"):
 * the repository's source when set, instead of the package's models/. Its
 * listing is mirrored into a folder under /tmp that the repository reads as
 * it reads models/: each version's model.json and each model's traffic.json
 * as soon as they are listed (small; the routes that describe models need
 * them), the version's other files only when it loads, downloaded and
 * checked against the manifest's sha256 (./download.ts). A version's files
 * stay for the container's life, the least recently fetched going first
 * when MODEL_STORE_CACHE_MB would be passed.
 *
 * A warm container lists the store again at most every
 * MODEL_STORE_RELIST_SECONDS, at a request: a version pushed since appears,
 * one pushed anew (another ETag) loads afresh, one removed goes. A listing
 * that fails keeps the last one and is tried again after a backoff; with no
 * listing yet, the request is a 503 naming the store's error.
 */

export interface StoreSnapshot {
  /** Bumped whenever the listing changed what is served: the repository reads the mirror again. */
  readonly generation: number;
  /** Versions by model name, oldest first. */
  readonly models: ReadonlyMap<string, readonly string[]>;
  /** By "name/version": the ETags of its files, so a version pushed anew has a new key in the registry. */
  readonly stamps: ReadonlyMap<string, string>;
  /** By "name/version": why the version cannot be served (a pin it does not match, a model.json that could not be read); by "name|traffic", why its traffic file cannot. */
  readonly problems: ReadonlyMap<string, string>;
}

const RETRY_FIRST_MS = 1000;
const RETRY_MOST_MS = 60_000;

/** Backoff after consecutive failures: 1 s, 2 s, 4 s … at most a minute. */
export const backoffMs = (failures: number): number => Math.min(RETRY_MOST_MS, RETRY_FIRST_MS * 2 ** Math.max(0, failures - 1));

export class ModelStore {
  readonly bucket: string;
  readonly prefix: string;
  /** The mirror the repository reads, /tmp/model-store/<hash of the URL>-<pid>-<random>. */
  readonly root: string;
  private listing: StoreListing | undefined;
  private snapshotNow: StoreSnapshot = { generation: 0, models: new Map(), stamps: new Map(), problems: new Map() };
  private listedAt = -Infinity;
  private listFailures = 0;
  private retryListAt = 0;
  private lastListError = '';
  private syncing: Promise<void> | undefined;
  /** What of each version's folder is on disk: file name → ETag, by "name/version", most recently fetched last. */
  private readonly onDisk = new Map<string, Map<string, string>>();
  private readonly fetching = new Map<string, Promise<void>>();

  constructor(readonly url: string) {
    const location = s3Location(url)!;
    this.bucket = location.bucket;
    this.prefix = location.prefix;
    // A fresh mirror per store and process (serverless-offline loads several
    // functions in one process; each has its own): nothing on disk is
    // trusted that this instance did not write and check.
    this.root = path.join(os.tmpdir(), 'model-store', `${createHash('sha256').update(url).digest('hex').slice(0, 12)}-${process.pid}-${randomUUID().slice(0, 8)}`);
    rmSync(this.root, { recursive: true, force: true });
    mkdirSync(this.root, { recursive: true });
  }

  snapshot(): StoreSnapshot {
    return this.snapshotNow;
  }

  /**
   * Lists the store if the last listing is older than MODEL_STORE_RELIST_SECONDS
   * (and no failure's backoff is running), and mirrors what changed. Concurrent
   * callers share one listing. Throws ModelUnavailable only when no listing
   * ever succeeded.
   */
  async sync(): Promise<void> {
    // A listing under way (the one init started): every request waits for it to be mirrored.
    if (this.syncing) await this.syncing;
    const now = Date.now();
    const fresh = now - this.listedAt < settings.modelStoreRelistSeconds() * 1000;
    if (fresh || (this.listFailures > 0 && now < this.retryListAt)) return this.answerWithoutListing();
    this.syncing ??= this.relist().finally(() => (this.syncing = undefined));
    await this.syncing;
    return this.answerWithoutListing();
  }

  private answerWithoutListing(): void {
    if (this.listing) return;
    const seconds = Math.ceil(Math.max(0, this.retryListAt - Date.now()) / 1000);
    throw new ModelUnavailable(`model store unavailable: ${this.lastListError}; tried again in ${seconds} s`);
  }

  private async relist(): Promise<void> {
    let listing: StoreListing;
    try {
      listing = await listStore(this.bucket, this.prefix);
    } catch (error) {
      this.listFailures += 1;
      this.retryListAt = Date.now() + backoffMs(this.listFailures);
      this.lastListError = error instanceof ModelFetchError ? error.message : 'the model store could not be listed';
      logger.warn('model store listing failed', { store: this.url, failures: this.listFailures, reason: this.lastListError });
      return;
    }
    this.listFailures = 0;
    const previous = this.listing;
    this.listing = listing;
    await this.mirror(previous, listing);
    this.listedAt = Date.now();
  }

  /** The manifests and traffic files that changed, into the mirror; the versions that went, out of it. */
  private async mirror(previous: StoreListing | undefined, listing: StoreListing): Promise<void> {
    const pins = settings.modelStorePins();
    const models = new Map<string, string[]>();
    const stamps = new Map<string, string>();
    const problems = new Map<string, string>(this.snapshotNow.problems);
    const reads: Promise<void>[] = [];
    for (const [id, files] of listing.versions) {
      const [name, version] = id.split('/') as [string, string];
      const manifest = files.get('model.json');
      if (!manifest && ![...files.keys()].some((f) => f.endsWith('.onnx'))) continue; // not a version folder (models/ ignores such folders too)
      if (pins && !pins.has(`${name}@${version}`)) continue; // the stage serves its pinned versions only
      models.set(name, [...(models.get(name) ?? []), version]);
      stamps.set(id, [...files].map(([file, { etag }]) => `${file} ${etag}`).sort().join(','));
      if (!manifest) {
        problems.set(id, 'model.json is missing from the model store');
        continue;
      }
      if (previous?.versions.get(id)?.get('model.json')?.etag === manifest.etag && !problems.has(id)) continue;
      problems.delete(id);
      reads.push(this.mirrorManifest(id, manifest, pins?.get(`${name}@${version}`)).catch((error: unknown) => {
        problems.set(id, error instanceof ModelFetchError || error instanceof ModelLoadError ? error.message : 'model.json could not be read from the model store');
      }));
    }
    for (const [name, file] of listing.traffic) {
      const problem = `${name}|traffic`;
      if (!models.has(name) || (previous?.traffic.get(name)?.etag === file.etag && !problems.has(problem))) continue;
      problems.delete(problem);
      reads.push(
        this.mirrorTraffic(name, file).catch(() => {
          problems.set(problem, 'traffic.json could not be read from the model store');
        }),
      );
    }
    await Promise.all(reads);
    for (const name of previous?.traffic.keys() ?? []) if (!listing.traffic.has(name)) rmSync(path.join(this.root, name, 'traffic.json'), { force: true });
    for (const id of previous?.versions.keys() ?? []) {
      if (stamps.has(id)) continue;
      this.onDisk.delete(id);
      problems.delete(id);
      rmSync(path.join(this.root, id), { recursive: true, force: true });
    }
    for (const [id, stamp] of stamps) {
      // A version pushed anew: its files on disk are another push's.
      if (this.snapshotNow.stamps.get(id) !== undefined && this.snapshotNow.stamps.get(id) !== stamp) this.forgetFiles(id);
    }
    for (const versions of models.values()) versions.sort(compareVersions);
    const changed = !sameMap(stamps, this.snapshotNow.stamps) || !sameMap(problems, this.snapshotNow.problems) || !sameTraffic(previous, listing);
    this.snapshotNow = { generation: this.snapshotNow.generation + (changed ? 1 : 0), models, stamps, problems };
  }

  private async mirrorManifest(id: string, file: StoredFile, pin: string | undefined): Promise<void> {
    const bytes = await this.getObject(file, 'model.json');
    if (pin !== undefined && sha256Hex(bytes) !== pin) {
      throw new ModelLoadError(`model.json in the model store is ${sha256Hex(bytes)}; MODEL_STORE_PINS pins ${pin}, so this version is refused`);
    }
    mkdirSync(path.join(this.root, id), { recursive: true });
    writeAtomically(path.join(this.root, id, 'model.json'), bytes);
  }

  private async mirrorTraffic(name: string, file: StoredFile): Promise<void> {
    const bytes = await this.getObject(file, 'traffic.json');
    mkdirSync(path.join(this.root, name), { recursive: true });
    writeAtomically(path.join(this.root, name, 'traffic.json'), bytes);
  }

  private async getObject(file: StoredFile, name: string): Promise<Buffer> {
    const { client, sdk } = await s3();
    try {
      const object = await client.send(new sdk.GetObjectCommand({ Bucket: this.bucket, Key: file.key }));
      return Buffer.from(await object.Body!.transformToByteArray());
    } catch (error) {
      throw new ModelFetchError(`${name} could not be read from the model store (${s3Reason(error)})`);
    }
  }

  /**
   * Makes the version's named files (from its manifest, with their sha256s)
   * present and checked in its mirror folder: downloads those not yet on disk
   * (or pushed anew), after making room. ModelLoadError for a mismatch, a
   * file missing from the store or one larger than the cache;
   * ModelFetchError for what may pass (retried by the registry).
   */
  async fetch(name: string, version: string, wanted: ReadonlyMap<string, string>): Promise<void> {
    const id = `${name}/${version}`;
    const running = this.fetching.get(id);
    if (running) await running.catch(() => undefined);
    const fetched = this.fetchFiles(id, wanted).finally(() => this.fetching.delete(id));
    this.fetching.set(id, fetched);
    return fetched;
  }

  private async fetchFiles(id: string, wanted: ReadonlyMap<string, string>): Promise<void> {
    const listed = this.listing?.versions.get(id);
    if (!listed) throw new ModelFetchError(`${id} is no longer in the model store`);
    const have = this.onDisk.get(id) ?? new Map<string, string>();
    const missing: [string, StoredFile, string][] = [];
    for (const [file, sha256] of wanted) {
      const stored = listed.get(file);
      if (!stored) throw new ModelLoadError(`${file} is missing from the model store`);
      if (have.get(file) !== stored.etag) missing.push([file, stored, sha256]);
    }
    // Most recently fetched last: the first entries are evicted first.
    this.onDisk.delete(id);
    this.onDisk.set(id, have);
    const needed = missing.reduce((sum, [, stored]) => sum + stored.size, 0);
    if (needed === 0) return;
    this.makeRoom(id, needed);
    mkdirSync(path.join(this.root, id), { recursive: true });
    for (const [file, stored, sha256] of missing) {
      await downloadVerified(this.bucket, stored, path.join(this.root, id, file), sha256, file);
      have.set(file, stored.etag);
    }
  }

  /** Removes the files of the least recently fetched versions until `needed` more bytes fit in MODEL_STORE_CACHE_MB. */
  private makeRoom(id: string, needed: number): void {
    const budget = settings.modelStoreCacheBytes();
    const sizeOf = (version: string) => [...(this.onDisk.get(version)?.keys() ?? [])].reduce((sum, file) => sum + (this.listing?.versions.get(version)?.get(file)?.size ?? 0), 0);
    if (needed + sizeOf(id) > budget) {
      const mb = (bytes: number) => (bytes / 1024 / 1024).toFixed(1);
      throw new ModelLoadError(`the version's files are ${mb(needed + sizeOf(id))} MB; this function keeps at most ${mb(budget)} MB of models in /tmp (MODEL_STORE_CACHE_MB): raise the ephemeralStorageSize param (README, "Large models")`);
    }
    let used = [...this.onDisk.keys()].reduce((sum, version) => sum + sizeOf(version), 0);
    for (const version of [...this.onDisk.keys()]) {
      if (used + needed <= budget) break;
      if (version === id) continue;
      used -= sizeOf(version);
      logger.info('model files evicted from /tmp', { version, reason: 'MODEL_STORE_CACHE_MB' });
      this.forgetFiles(version);
    }
  }

  /** Removes a version's downloaded files (its model.json stays: the listing routes read it). */
  private forgetFiles(id: string): void {
    for (const file of this.onDisk.get(id)?.keys() ?? []) rmSync(path.join(this.root, id, file), { force: true });
    this.onDisk.delete(id);
  }

  /** Whether these files of the version are on disk and checked (for the models route, which never downloads). */
  hasFiles(name: string, version: string, files: readonly string[]): boolean {
    const have = this.onDisk.get(`${name}/${version}`);
    return files.every((file) => have?.has(file));
  }

  /** Which of these files the store does not hold for the version (the models route's check, without downloading). */
  missingFiles(name: string, version: string, files: readonly string[]): string[] {
    const listed = this.listing?.versions.get(`${name}/${version}`);
    return files.filter((file) => !listed?.has(file));
  }
}

function writeAtomically(file: string, bytes: Buffer): void {
  const partial = `${file}.${process.pid}.partial`;
  writeFileSync(partial, bytes);
  // rename: a reader sees the old file or the new one, never half of one.
  renameSync(partial, file);
}

function sameMap(a: ReadonlyMap<string, string>, b: ReadonlyMap<string, string>): boolean {
  return a.size === b.size && [...a].every(([key, value]) => b.get(key) === value);
}

function sameTraffic(previous: StoreListing | undefined, listing: StoreListing): boolean {
  if (!previous) return listing.traffic.size === 0;
  return previous.traffic.size === listing.traffic.size && [...listing.traffic].every(([name, file]) => previous.traffic.get(name)?.etag === file.etag);
}

let store: { url: string; store: ModelStore } | undefined;

/** The model store MODEL_STORE names, or undefined: the repository is the models folder. */
export function activeStore(): ModelStore | undefined {
  const url = settings.modelStore();
  if (url === undefined) return undefined;
  if (store?.url !== url) store = { url, store: new ModelStore(url) };
  return store.store;
}

/** For tests that read one store, then another, in one process. */
export function forgetStore(): void {
  store = undefined;
}
