import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { sha256Hex } from '../lib/sha256';
import { pushModel } from '../scripts/model-push/push';
import { freshHandlers, type Handlers } from './helpers/handlers';
import { invoke } from './helpers/lambda';
import { scratchModelsDir } from './helpers/models-dir';
import { parityFixture, repoRoot } from './helpers/models';
import { route } from './helpers/routes';
import { startS3, type LocalS3 } from './helpers/s3rver';
import { changeSettings } from './helpers/settings';

/**
 * The model store (README, "Large models") against a real S3 API: s3rver on
 * 127.0.0.1. Models are pushed with `npm run model:push`, and the handlers,
 * with MODEL_STORE set and MODELS_DIR pointing at an empty folder, serve
 * them from the store: the same answers as from the package, a tampered
 * object refused for its model only, pins, new pushes seen by a warm
 * container, an S3 outage retried, and /tmp kept within its budget.
 */

const BUCKET = 'ml-inference-models-test';
const exec = promisify(execFile);
const churnCases = parityFixture().cases.slice(0, 50).map((c) => c.input);
const intentTexts = parityFixture<{ version: string; cases: { text: string }[] }>('intent').cases.slice(0, 20).map((c) => c.text);

let s3: LocalS3;
let models: string;
let empty: string;
let restore: () => void;

const client = () => new S3Client({ forcePathStyle: true, endpoint: s3.endpoint });

async function push(store: string, args: string[]): Promise<string> {
  const { stdout } = await exec('npm', ['run', '-s', 'model:push', '--', ...args], { cwd: repoRoot, env: { ...process.env, ...s3.env, MODEL_STORE: store, MODELS_DIR: models }, timeout: 120_000 });
  return stdout;
}

const predictChurn = (h: Handlers) => invoke(h.predict, { ...route('POST', '/models/{name}/predict', { name: 'churn' }), json: { instances: churnCases } });
const predictIntent = (h: Handlers) => invoke(h.predict, { ...route('POST', '/models/{name}/predict', { name: 'intent' }), json: { instances: intentTexts.map((text) => ({ text })) } });

/** The mirror folders this process made for a store (lib/repository/store/model-store.ts: /tmp/model-store/<hash>-<pid>-<random>). */
function mirrorsOf(url: string): string[] {
  const parent = path.join(os.tmpdir(), 'model-store');
  const prefix = `${sha256Hex(url).slice(0, 12)}-${process.pid}-`;
  return existsSync(parent) ? readdirSync(parent).filter((d) => d.startsWith(prefix)).map((d) => path.join(parent, d)) : [];
}

/** Handlers with their own, fresh, store settings: a new container. */
function containerWith(settings: Record<string, string | undefined>): Handlers {
  const back = changeSettings(settings);
  try {
    return freshHandlers();
  } finally {
    back();
  }
}

let packaged: { churn: unknown; intent: unknown };

beforeAll(async () => {
  s3 = await startS3([BUCKET]);
  Object.assign(process.env, s3.env);
  models = scratchModelsDir(true);
  empty = mkdtempSync(path.join(os.tmpdir(), 'no-models-'));
  restore = changeSettings({ MODELS_DIR: empty });
  const fromPackage = containerWith({ MODELS_DIR: models });
  packaged = { churn: (await predictChurn(fromPackage)).json, intent: (await predictIntent(fromPackage)).json };
}, 60_000);

afterAll(async () => {
  restore();
  for (const url of ['dev', 'tampered', 'pinned', 'live', 'outage', 'small'].map((p) => `s3://${BUCKET}/${p}`)) for (const dir of mirrorsOf(url)) rmSync(dir, { recursive: true, force: true });
  await s3.close();
  for (const dir of [models, empty]) rmSync(dir, { recursive: true, force: true });
});

describe('the model store', () => {
  const store = `s3://${BUCKET}/dev`;

  it('npm run model:push uploads every file of each version and the traffic file, and prints each version\'s pin', async () => {
    const churn = await push(store, ['churn']);
    const intent = await push(store, ['intent']);
    const pin = (name: string) => `${name}@1.0.0=${sha256Hex(readFileSync(path.join(models, name, '1.0.0', 'model.json')))}`;
    expect(churn).toContain(`pin (MODEL_STORE_PINS, the modelPins param): ${pin('churn')}`);
    expect(churn).toMatch(/^  churn\/1\.0\.0: [0-9.]+ (KB|MB); needs memorySize 1024 MB and ephemeralStorageSize 512 MB \(--param/m);
    expect(intent).toContain(pin('intent'));
    expect(churn).toMatch(/churn 1\.0\.0: \d+ files, .* \(\d+ sent, 0 unchanged\) → s3:\/\/ml-inference-models-test\/dev\/churn\/1\.0\.0\//);
    // Pushed again: nothing sent.
    expect(await push(store, ['churn'])).toMatch(/\(0 sent, \d+ unchanged\)/);
    const pushed = await pushModel(store, models, 'intent');
    expect(pushed.traffic).toMatchObject({ key: 'dev/intent/traffic.json', sent: false });
    expect(pushed.versions[0]!.files.map((f) => f.key)).toEqual(expect.arrayContaining(['dev/intent/1.0.0/model.onnx', 'dev/intent/1.0.0/baseline.json', 'dev/intent/1.0.0/model.json']));
    // model.json is sent last: a listing that sees it sees the files it names.
    expect(pushed.versions[0]!.files.at(-1)!.key).toBe('dev/intent/1.0.0/model.json');
  }, 180_000);

  it("holds back a traffic file that names a version the store lacks, and sends it once the version is there", async () => {
    const split = `s3://${BUCKET}/split`;
    const dir = scratchModelsDir(['intent/1.0.0']);
    cpSync(path.join(dir, 'intent', '1.0.0'), path.join(dir, 'intent', '1.1.0'), { recursive: true });
    const manifest = path.join(dir, 'intent', '1.1.0', 'model.json');
    writeFileSync(manifest, JSON.stringify({ ...JSON.parse(readFileSync(manifest, 'utf8')), version: '1.1.0' }));
    writeFileSync(path.join(dir, 'intent', 'traffic.json'), JSON.stringify({ split: { '1.0.0': 90, '1.1.0': 10 } }));
    const first = await pushModel(split, dir, 'intent', '1.0.0');
    expect(first.traffic).toBeNull();
    expect(first.trafficHeld).toBe('traffic.json names 1.1.0, not in the store: push it first (npm run model:push -- intent), and the traffic file goes with it');
    const second = await pushModel(split, dir, 'intent', '1.1.0');
    expect(second.traffic).toMatchObject({ key: 'split/intent/traffic.json', sent: true });
    rmSync(dir, { recursive: true, force: true });
  });

  it('refuses to push a version whose files do not match its manifest, naming the file, and sends nothing', async () => {
    const broken = scratchModelsDir(['churn/1.0.0']);
    const onnx = path.join(broken, 'churn', '1.0.0', 'model.onnx');
    writeFileSync(onnx, Buffer.concat([readFileSync(onnx), Buffer.from([0])]));
    await expect(pushModel(`s3://${BUCKET}/refused`, broken, 'churn')).rejects.toThrow(/churn 1\.0\.0 is not pushed: sha256 mismatch: model\.onnx is [0-9a-f]{64}, the manifest expects/);
    rmSync(broken, { recursive: true, force: true });
  });

  it('serves the store\'s models whatever MODELS_DIR holds, with the packaged copy\'s answers', async () => {
    const h = containerWith({ MODEL_STORE: store });
    const listed = await invoke(h.models, route('GET', '/models'));
    expect(listed.status).toBe(200);
    expect((listed.json as { models: { name: string }[] }).models.map((m) => m.name)).toEqual(['churn', 'intent']);
    const churn = await predictChurn(h);
    expect(churn.status).toBe(200);
    expect(churn.json).toEqual(packaged.churn);
    const intent = await predictIntent(h);
    expect(intent.status).toBe(200);
    expect(intent.json).toEqual(packaged.intent);
    const detail = await invoke(h.models, route('GET', '/models/{name}', { name: 'intent' }));
    expect(detail.json).toMatchObject({ name: 'intent', ready: true });
  });

  it('a tampered object makes its model 503 with the reason, and the other model answers', async () => {
    const tampered = `s3://${BUCKET}/tampered`;
    await pushModel(tampered, models, 'churn');
    await pushModel(tampered, models, 'intent');
    const onnx = readFileSync(path.join(models, 'intent', '1.0.0', 'model.onnx'));
    onnx[onnx.length - 1] = onnx.at(-1)! ^ 1;
    await client().send(new PutObjectCommand({ Bucket: BUCKET, Key: 'tampered/intent/1.0.0/model.onnx', Body: onnx }));
    const h = containerWith({ MODEL_STORE: tampered });
    const intent = await predictIntent(h);
    expect(intent.status).toBe(503);
    expect((intent.json as { error: string }).error).toMatch(/^model unavailable: (traffic\.json names version "1\.0\.0", which is not ready: )?sha256 mismatch: model\.onnx in the model store is [0-9a-f]{64}, the manifest expects [0-9a-f]{64}$/);
    expect((await predictChurn(h)).status).toBe(200);
    // Nothing of the mismatched file is left in /tmp; the good model's is there.
    const [mirror] = mirrorsOf(tampered);
    expect(readdirSync(path.join(mirror!, 'intent', '1.0.0'))).toEqual(['model.json']);
    expect(existsSync(path.join(mirror!, 'churn', '1.0.0', 'model.onnx'))).toBe(true);
  });

  it('pins: only the pinned versions are served, and one whose model.json is not the pinned one is refused', async () => {
    const pinned = `s3://${BUCKET}/pinned`;
    await pushModel(pinned, models, 'churn');
    const { versions } = await pushModel(pinned, models, 'intent');
    const churnPin = (await pushModel(pinned, models, 'churn')).versions[0]!.pin;
    const wrong = versions[0]!.pin.replace(/=.*/, `=${'0'.repeat(64)}`);
    const h = containerWith({ MODEL_STORE: pinned, MODEL_STORE_PINS: `${churnPin},${wrong}` });
    expect((await predictChurn(h)).status).toBe(200);
    const intent = await predictIntent(h);
    expect(intent.status).toBe(503);
    expect((intent.json as { error: string }).error).toMatch(/model\.json in the model store is [0-9a-f]{64}; MODEL_STORE_PINS pins 0{64}, so this version is refused/);
    const only = containerWith({ MODEL_STORE: pinned, MODEL_STORE_PINS: churnPin });
    const listed = await invoke(only.models, route('GET', '/models'));
    expect((listed.json as { models: { name: string }[] }).models.map((m) => m.name)).toEqual(['churn']);
  });

  it('a warm container sees a version pushed since once MODEL_STORE_RELIST_SECONDS have passed, and not before', async () => {
    const live = `s3://${BUCKET}/live`;
    await pushModel(live, models, 'churn');
    const eager = containerWith({ MODEL_STORE: live, MODEL_STORE_RELIST_SECONDS: '0' });
    const patient = containerWith({ MODEL_STORE: live, MODEL_STORE_RELIST_SECONDS: '3600' });
    const versionsOf = async (h: Handlers) => ((await invoke(h.models, route('GET', '/models/{name}', { name: 'churn' }))).json as { versions: string[] }).versions;
    expect(await versionsOf(eager)).toEqual(['1.0.0']);
    expect(await versionsOf(patient)).toEqual(['1.0.0']);
    // A new version: the same model and files, its manifest's version changed (the golden cases still hold).
    const next = path.join(models, 'churn', '1.0.1');
    cpSync(path.join(models, 'churn', '1.0.0'), next, { recursive: true });
    const manifest = JSON.parse(readFileSync(path.join(next, 'model.json'), 'utf8')) as { version: string };
    writeFileSync(path.join(next, 'model.json'), JSON.stringify({ ...manifest, version: '1.0.1' }));
    try {
      await pushModel(live, models, 'churn', '1.0.1');
      expect(await versionsOf(eager)).toEqual(['1.0.0', '1.0.1']);
    expect(await versionsOf(patient)).toEqual(['1.0.0']);
      const served = await invoke(eager.predict, { ...route('POST', '/models/{name}/versions/{version}/predict', { name: 'churn', version: '1.0.1' }), json: { instances: churnCases } });
      expect(served.status).toBe(200);
      expect(served.headers['X-Model-Version'] ?? served.headers['x-model-version']).toBe('1.0.1');
    } finally {
      rmSync(next, { recursive: true, force: true });
    }
  });

  it('S3 unreachable: a request is a 503 naming the store\'s error, and once S3 is back the model loads', async () => {
    const outage = `s3://${BUCKET}/outage`;
    await pushModel(outage, models, 'intent');
    const h = containerWith({ MODEL_STORE: outage, MODEL_STORE_RELIST_SECONDS: '0' });
    // Listed while S3 is up (GET /models reads the manifests only), then S3 goes away before the model's files are fetched.
    expect((await invoke(h.models, route('GET', '/models'))).status).toBe(200);
    await s3.stop();
    let down;
    try {
      down = await predictIntent(h);
    } finally {
      await s3.restart();
    }
    expect(down.status).toBe(503);
    expect((down.json as { error: string }).error).toMatch(/^model unavailable: (traffic\.json names version "1\.0\.0", which is not ready: )?model\.onnx could not be downloaded from the model store \(Error[^)]*\); tried again in 1 s$/);
    // After the backoff the next request fetches it again.
    await new Promise((resolve) => setTimeout(resolve, 1100));
    const back = await predictIntent(h);
    expect(back.status).toBe(200);
    expect(back.json).toEqual(packaged.intent);
  }, 30_000);

  it('a store never listed is a 503 naming it, not a 404', async () => {
    const h = containerWith({ MODEL_STORE: `s3://no-such-bucket-here/x` });
    const reply = await predictChurn(h);
    expect(reply.status).toBe(503);
    expect((reply.json as { error: string }).error).toMatch(/^model store unavailable: the model store s3:\/\/no-such-bucket-here\/x\/ could not be listed \(NoSuchBucket, HTTP 404\); tried again in 1 s$/);
  });

  it('keeps /tmp within MODEL_STORE_CACHE_MB: the least recently fetched version\'s files go and its session keeps answering; a version larger than the budget says so', async () => {
    const small = `s3://${BUCKET}/small`;
    // Three copies of churn, each carrying a 6 MB file its manifest lists (downloaded and checked like any companion file), and one of 20 MB.
    for (const [name, mb] of [['churn-a', 6], ['churn-b', 6], ['churn-c', 6], ['churn-huge', 20]] as const) {
      const dir = path.join(models, name, '1.0.0');
      cpSync(path.join(models, 'churn', '1.0.0'), dir, { recursive: true });
      const padding = Buffer.alloc(mb * 1024 * 1024, name);
      writeFileSync(path.join(dir, 'padding.bin'), padding);
      const manifest = JSON.parse(readFileSync(path.join(dir, 'model.json'), 'utf8')) as { files?: Record<string, { sha256: string }> };
      writeFileSync(path.join(dir, 'model.json'), JSON.stringify({ ...manifest, name, files: { ...manifest.files, 'padding.bin': { sha256: sha256Hex(padding) } } }));
      await pushModel(small, models, name);
    }
    const h = containerWith({ MODEL_STORE: small, MODEL_STORE_CACHE_MB: '16' });
    const predict = (name: string) => invoke(h.predict, { ...route('POST', '/models/{name}/predict', { name }), json: { instances: churnCases } });
    const [mirror] = mirrorsOf(small);
    const onDisk = (name: string) => existsSync(path.join(mirror!, name, '1.0.0', 'padding.bin'));
    expect((await predict('churn-a')).status).toBe(200);
    expect((await predict('churn-b')).status).toBe(200);
    expect([onDisk('churn-a'), onDisk('churn-b')]).toEqual([true, true]);
    // A third does not fit beside them: the least recently fetched (churn-a) goes from /tmp…
    expect((await predict('churn-c')).status).toBe(200);
    expect([onDisk('churn-a'), onDisk('churn-b'), onDisk('churn-c')]).toEqual([false, true, true]);
    // …and its loaded session still answers.
    const again = await predict('churn-a');
    expect(again.status).toBe(200);
    expect((again.json as { predictions: unknown }).predictions).toEqual((packaged.churn as { predictions: unknown }).predictions);
    const huge = await predict('churn-huge');
    expect(huge.status).toBe(503);
    expect((huge.json as { error: string }).error).toBe('model unavailable: the version\'s files are 20.0 MB; this function keeps at most 16.0 MB of models in /tmp (MODEL_STORE_CACHE_MB): raise the ephemeralStorageSize param (README, "Large models")');
    for (const name of ['churn-a', 'churn-b', 'churn-c', 'churn-huge']) rmSync(path.join(models, name), { recursive: true, force: true });
  });
});
