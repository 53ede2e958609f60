import { createHash } from 'node:crypto';
import { createReadStream, existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { ModelLoadError } from '../../lib/errors';
import { verifiedCompanionFiles, verifiedModelFile } from '../../lib/model/model-files';
import { forgetRepository, listModels } from '../../lib/repository/model-repository';
import { s3, s3Location } from '../../lib/s3';
import { sha256Hex } from '../../lib/sha256';
import { listStore, placeOf } from '../../lib/repository/store/store-listing';
import { trafficVersions } from '../../lib/rollout/route';

/**
 * What `npm run model:push` does (README, "Large models"): uploads every file
 * of a model's version folders and its traffic.json to the model store, in
 * the layout the service lists (`<prefix><name>/<version>/<file>`), each
 * with its sha256 in the object's metadata. A version is checked before
 * anything is sent: its manifest reads, and its model file and the files it
 * lists match their sha256s, so the store never holds a version the service
 * would refuse for a local mistake. Order makes a push safe to list at any
 * moment: a version's files first, its model.json last (a listing that sees
 * the manifest sees its files), the traffic file after every version.
 * An object that already holds the same bytes (the same sha256 in its
 * metadata) is not sent again.
 */

export class PushRefused extends Error {}

export interface PushedFile {
  key: string;
  bytes: number;
  sent: boolean;
}

export interface PushedVersion {
  version: string;
  files: PushedFile[];
  /** `name@version=<sha256 of model.json>`: what MODEL_STORE_PINS takes to serve exactly this. */
  pin: string;
  /** The version folder pushed from. */
  dir: string;
}

export interface Pushed {
  store: string;
  versions: PushedVersion[];
  traffic: PushedFile | null;
  /** Why the model's traffic.json was not sent (it names versions the store lacks), or null. */
  trafficHeld: string | null;
}

/** Streams a file through sha256: a model of hundreds of MB is never held whole. */
async function fileSha256(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** The files of a version folder that the store's layout can hold (plain names; not hidden, not folders). */
function versionFiles(dir: string, name: string, version: string): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .filter((entry) => entry.isFile() && placeOf(`${name}/${version}/${entry.name}`) !== undefined)
    .map((entry) => entry.name)
    .sort((a, b) => (a === 'model.json' ? 1 : b === 'model.json' ? -1 : a.localeCompare(b)));
}

async function storedSha256(bucket: string, key: string): Promise<string | undefined> {
  const { client, sdk } = await s3();
  try {
    const head = await client.send(new sdk.HeadObjectCommand({ Bucket: bucket, Key: key }));
    return head.Metadata?.sha256;
  } catch {
    return undefined; // not there (or unreadable): sent
  }
}

async function putFile(bucket: string, key: string, file: string, contentType: string): Promise<PushedFile> {
  const bytes = statSync(file).size;
  const sha256 = await fileSha256(file);
  if ((await storedSha256(bucket, key)) === sha256) return { key, bytes, sent: false };
  const { client, sdk } = await s3();
  await client.send(
    new sdk.PutObjectCommand({
      Bucket: bucket,
      Key: key,
      Body: createReadStream(file),
      ContentLength: bytes,
      ContentType: contentType,
      // S3 checks the upload against it and refuses a corrupted one; the service checks each download against the manifest.
      ChecksumSHA256: Buffer.from(sha256, 'hex').toString('base64'),
      Metadata: { sha256 },
    }),
  );
  return { key, bytes, sent: true };
}

const contentTypeOf = (file: string) => (file.endsWith('.json') ? 'application/json' : 'application/octet-stream');

/** Pushes a model's versions (every one, or the one named) from `modelsDir` to the store at `storeUrl`. */
export async function pushModel(storeUrl: string, modelsDir: string, name: string, version?: string): Promise<Pushed> {
  const location = s3Location(storeUrl);
  if (!location) throw new PushRefused(`the model store ${JSON.stringify(storeUrl)} is not an s3://bucket/prefix URL`);
  forgetRepository(); // the folder as it is now, not as this process last read it
  const model = listModels(modelsDir).find((m) => m.name === name);
  if (!model) throw new PushRefused(`no model named "${name}" in ${modelsDir} (npm run model:add adds one)`);
  const entries = version === undefined ? model.versions : model.versions.filter((v) => v.version === version);
  if (entries.length === 0) throw new PushRefused(`model "${name}" has no version "${version}" in ${modelsDir}; versions: ${model.versions.map((v) => v.version).join(', ')}`);
  // Every version checked before the first byte is sent.
  for (const entry of entries) {
    if (!entry.manifest) throw new PushRefused(`${name} ${entry.version} is not pushed: ${entry.problem}`);
    try {
      verifiedModelFile(entry.dir, entry.manifest);
      verifiedCompanionFiles(entry.dir, entry.manifest);
    } catch (error) {
      throw new PushRefused(`${name} ${entry.version} is not pushed: ${error instanceof ModelLoadError ? error.message : String(error)}`);
    }
  }
  const versions: PushedVersion[] = [];
  for (const entry of entries) {
    const files: PushedFile[] = [];
    for (const file of versionFiles(entry.dir, name, entry.version)) {
      files.push(await putFile(location.bucket, `${location.prefix}${name}/${entry.version}/${file}`, path.join(entry.dir, file), contentTypeOf(file)));
    }
    versions.push({ version: entry.version, files, pin: `${name}@${entry.version}=${sha256Hex(readFileSync(path.join(entry.dir, 'model.json')))}`, dir: entry.dir });
  }
  const trafficFile = path.join(modelsDir, name, 'traffic.json');
  if (!existsSync(trafficFile)) return { store: `s3://${location.bucket}/${location.prefix}`, versions, traffic: null, trafficHeld: null };
  // The traffic file goes only when every version it serves, shadows or labels is in the store: one naming a version the store lacks would make the model 503 there.
  const state = model.traffic;
  if (state === null || 'problem' in state) throw new PushRefused(`${name}'s traffic.json is not pushed: ${state === null ? 'it cannot be read' : state.problem} (npm run model:traffic fixes it)`);
  const named = [...new Set([...trafficVersions(model, state.traffic).map((v) => v.version), ...Object.values(state.traffic.labels ?? {})])];
  const listed = await listStore(location.bucket, location.prefix);
  const absent = named.filter((v) => !listed.versions.get(`${name}/${v}`)?.has('model.json'));
  if (absent.length > 0) {
    return { store: `s3://${location.bucket}/${location.prefix}`, versions, traffic: null, trafficHeld: `traffic.json names ${absent.join(', ')}, not in the store: push ${absent.length === 1 ? 'it' : 'them'} first (npm run model:push -- ${name}), and the traffic file goes with ${absent.length === 1 ? 'it' : 'them'}` };
  }
  const traffic = await putFile(location.bucket, `${location.prefix}${name}/traffic.json`, trafficFile, 'application/json');
  return { store: `s3://${location.bucket}/${location.prefix}`, versions, traffic, trafficHeld: null };
}
