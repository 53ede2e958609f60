import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { handler as predictHandler } from '../handlers/predict';
import { imageFolder } from '../lib/batch';
import { addModel } from '../scripts/model-add/main';
import type { ErrorBody } from './helpers/error-body';
import { invoke, type HttpHandler } from './helpers/lambda';
import { repoRoot } from './helpers/models';
import { removeModelsDir, scratchModelsDir, useModelsDir } from './helpers/models-dir';
import { route } from './helpers/routes';
import { score } from './helpers/score-cli';

/**
 * `npm run score -- <folder> --model <image model>` (README, "Batch
 * scoring"): every file of a folder, by name, against what the real predict
 * handler answers that file sent as the whole body with the Content-Type its
 * name gives; on the shapes classifier trained here (tests/fixtures/images)
 * and onnxruntime, sharp for real.
 */

const predict = predictHandler as unknown as HttpHandler;
const images = path.join(repoRoot, 'tests', 'fixtures', 'images');

/** The folder scored: the fixture pictures, a truncated JPEG, text under a picture's name, a text file; a hidden file and a subfolder beside them. */
const FILES: readonly (readonly [name: string, fixture: string | Buffer, mediaType: string])[] = [
  ['circle.jpg', 'circle.jpg', 'image/jpeg'],
  ['square.png', 'square.png', 'image/png'],
  ['triangle.webp', 'triangle.webp', 'image/webp'],
  ['stripes.jpg', 'stripes.jpg', 'image/jpeg'],
  ['broken.jpg', 'truncated.jpg', 'image/jpeg'],
  ['not-a-picture.png', Buffer.from('not a picture at all'), 'image/png'],
  ['notes.txt', Buffer.from('pictures of shapes\n'), 'text/plain'],
];
const NAME_ORDER = ['broken.jpg', 'circle.jpg', 'not-a-picture.png', 'notes.txt', 'square.png', 'stripes.jpg', 'triangle.webp'];

const models = scratchModelsDir(['churn/1.0.0']);
let dir: string;
let folder: string;
beforeAll(async () => {
  useModelsDir(models);
  await addModel({ file: path.join(images, 'shapes_classifier.onnx'), name: 'shapes', image: { labels: path.join(images, 'shapes_labels.txt') } });
  useModelsDir(models);
  dir = mkdtempSync(path.join(tmpdir(), 'batch-images-'));
  folder = path.join(dir, 'pictures');
  mkdirSync(path.join(folder, 'more'), { recursive: true });
  for (const [name, fixture] of FILES) {
    if (typeof fixture === 'string') copyFileSync(path.join(images, fixture), path.join(folder, name));
    else writeFileSync(path.join(folder, name), fixture);
  }
  writeFileSync(path.join(folder, '.DS_Store'), 'x');
  copyFileSync(path.join(images, 'circle.jpg'), path.join(folder, 'more', 'circle.jpg'));
}, 60_000);
afterAll(() => {
  removeModelsDir(models);
  rmSync(dir, { recursive: true, force: true });
});

/** What the route answers the file as a raw body: the answer without its model, warnings, or the error's code and message. */
async function routeRow(name: string): Promise<Record<string, unknown>> {
  const [, , mediaType] = FILES.find(([n]) => n === name)!;
  const bytes = readFileSync(path.join(folder, name));
  const reply = await invoke(predict, route('POST', '/models/{name}/predict', { name: 'shapes' }, { body: bytes.toString('base64'), isBase64Encoded: true, headers: { 'content-type': mediaType } }));
  if (reply.status !== 200) {
    const { code, error, details } = reply.json as unknown as ErrorBody;
    return { file: name, warnings: [], error: { code, message: error, ...(details.length > 0 ? { details } : {}) } };
  }
  const { model: _model, warnings, ...answer } = reply.json;
  return { file: name, ...answer, warnings: warnings ?? [] };
}

/** The one thing a row adds to the route's answer: a file refused for its name's type says which type its name gave. */
const named = (row: Record<string, unknown>) =>
  row.file === 'notes.txt' ? { ...row, error: { ...(row.error as object), details: [{ path: '', problem: 'is sent as text/plain, by its name' }] } } : row;

describe('a folder of pictures, scored', () => {
  let rows: Record<string, unknown>[];
  let stderr: string;
  beforeAll(async () => {
    const out = path.join(dir, 'scores.jsonl');
    const run = await score(folder, '--model', 'shapes', '--out', out);
    expect(run.code).toBe(0);
    stderr = run.stderr;
    rows = readFileSync(out, 'utf8').trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
  }, 60_000);

  it('has one row per visible file of the folder, in name order; the subfolder and the hidden file are counted, not scored', () => {
    expect(rows.map((r) => r.file)).toEqual(NAME_ORDER);
    expect(stderr).toContain('skipped, not scored: 1 subfolders, 1 hidden files');
  });

  it('gives each file what the predict route answers it as the whole body', async () => {
    for (const row of rows) expect(row).toEqual(named(await routeRow(row.file as string)));
  });

  it('labels the fixture pictures by their class, and the bad files fail their own row with the route\'s code and message', () => {
    const byFile = new Map(rows.map((r) => [r.file, r]));
    for (const shape of ['circle', 'square', 'triangle', 'stripes']) expect(byFile.get(NAME_ORDER.find((n) => n.startsWith(shape)))!.label).toBe(shape);
    expect(byFile.get('broken.jpg')!.error).toEqual({ code: 'invalid_image', message: 'the image cannot be decoded: the JPEG data is cut short or corrupt', details: [{ path: '', problem: 'cannot be decoded' }] });
    expect(byFile.get('not-a-picture.png')!.error).toMatchObject({ code: 'unsupported_media_type', message: expect.stringMatching(/is not a JPEG, PNG, WebP or GIF picture/) });
    expect(byFile.get('notes.txt')!.error).toEqual({
      code: 'unsupported_media_type',
      message: 'Content-Type must be application/json, text/csv, multipart/form-data, image/jpeg, image/png, image/webp or image/gif',
      details: [{ path: '', problem: 'is sent as text/plain, by its name' }],
    });
  });

  it('summarises the run: rows, failures by code, each failed file named', () => {
    expect(stderr).toMatch(/score: 7 rows of pictures by shapes 1\.0\.0/);
    expect(stderr).toContain('4 scored, 3 failed');
    expect(stderr).toContain('failed by code: invalid_image 1, unsupported_media_type 2');
    expect(stderr).toContain('broken.jpg: invalid_image: the image cannot be decoded');
  });
});

describe('the folder reader', () => {
  it('lists the files by name without reading them, each with its size and the media type its name gives', async () => {
    const listing = await imageFolder(folder);
    expect(listing.files.map((f) => [f.name, f.mediaType])).toEqual(NAME_ORDER.map((n) => [n, FILES.find(([name]) => name === n)![2]]));
    expect(listing.totalBytes).toBe(listing.files.reduce((sum, f) => sum + readFileSync(path.join(folder, f.name)).length, 0));
    expect(listing.skipped).toEqual({ folders: 1, hidden: 1 });
  });
});

describe('npm run score on a folder, as a user runs it', () => {
  it('writes the CSV with a file column and the answer fields, exits 0, and names what failed', () => {
    const out = path.join(dir, 'scores.csv');
    const run = spawnSync('npm', ['run', '--silent', 'score', '--', folder, '--model', 'shapes', '--out', out], {
      cwd: repoRoot,
      encoding: 'utf8',
      timeout: 120_000,
      env: { ...process.env, MODELS_DIR: models },
    });
    expect(run.status).toBe(0);
    expect(run.stderr).toContain('4 scored, 3 failed');
    const csv = parse(readFileSync(out, 'utf8'), { columns: true }) as Record<string, string>[];
    // The answer schema's columns: the label, then a probability column per label of the labels file, in its order.
    const labels = readFileSync(path.join(images, 'shapes_labels.txt'), 'utf8').trim().split('\n');
    expect(Object.keys(csv[0]!)).toEqual(['file', 'label', ...labels.map((l) => `probabilities.${l}`), 'warnings', 'error']);
    expect(csv.map((r) => r.file)).toEqual(NAME_ORDER);
    expect(csv.find((r) => r.file === 'circle.jpg')!.label).toBe('circle');
    expect(JSON.parse(csv.find((r) => r.file === 'broken.jpg')!.error!)).toMatchObject({ code: 'invalid_image' });
    expect(readdirSync(dir).filter((f) => f.includes('.partial-'))).toEqual([]);
  }, 150_000);

  it('a folder for a model that takes records fails the run before anything is written (exit 1)', async () => {
    const out = path.join(dir, 'churn.csv');
    const run = await score(folder, '--model', 'churn', '--out', out);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('the churn model takes application/json or text/csv, not image/jpeg');
    expect(readdirSync(dir)).not.toContain('churn.csv');
  });

  it('a folder that does not exist is a usage mistake, as a file of another extension is (exit 2)', async () => {
    const run = await score(path.join(dir, 'nothing-here'), '--model', 'shapes');
    expect(run.code).toBe(2);
  });
});
