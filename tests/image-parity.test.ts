import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { InferenceSession, Tensor } from 'onnxruntime-node';
import { handler as predictHandler } from '../handlers/predict';
import { decodeImage } from '../lib/kinds/image-classification/decode';
import type { ImageClassificationManifest } from '../lib/kinds/image-classification/manifest';
import { addModel } from '../scripts/model-add/main';
import { invoke, type HttpHandler } from './helpers/lambda';
import { repoRoot } from './helpers/models';
import { removeModelsDir, scratchModelsDir, useModelsDir } from './helpers/models-dir';
import { route } from './helpers/routes';

// Preprocessing parity with torchvision, the pipeline the models were trained
// with: for real photographs (scikit-image's samples, Debian's
// python3-skimage; no EXIF rotation, no alpha), the tensor the image kind
// builds from the file against torchvision's Resize(256) + CenterCrop(224) +
// ToTensor + Normalize on the same file (tests/fixtures/images/
// torchvision_reference.py, run with Debian's python3-torchvision, which
// .ci/run installs), and the served answer against onnxruntime fed
// torchvision's tensor. The tolerances are README's ("Images").
const predict = predictHandler as unknown as HttpHandler;
const photos = '/usr/lib/python3/dist-packages/skimage/data';
const images = path.join(repoRoot, 'tests', 'fixtures', 'images');

/** PNGs and 4:4:4 JPEGs: the pixels decode the same, the resamplers differ by a level or two at edges. */
const PHOTOS = ['astronaut.png', 'chelsea.png', 'coffee.png', 'rocket.jpg', 'motorcycle_left.png', 'hubble_deep_field.jpg', 'ihc.png'];
/** A 4:2:0 JPEG: libjpeg's and libvips' chroma upsampling differ at sharp colour edges. */
const SUBSAMPLED = 'retina.jpg';
const TOLERANCE = { mean: 0.01, max: 0.04, maxSubsampled: 0.65, probability: 0.02 };

function torchvisionTensor(file: string): Float32Array {
  const out = execFileSync('/usr/bin/python3', [path.join(images, 'torchvision_reference.py'), file], { encoding: 'utf8', maxBuffer: 64 * 2 ** 20 });
  const bytes = Buffer.from((JSON.parse(out) as { data_b64: string }).data_b64, 'base64');
  return new Float32Array(bytes.buffer, bytes.byteOffset, bytes.length / 4);
}

const dir = scratchModelsDir(false);
let manifest: ImageClassificationManifest;
let session: InferenceSession;
beforeAll(async () => {
  useModelsDir(dir);
  const added = await addModel({ file: path.join(images, 'shapes_classifier.onnx'), name: 'shapes', image: { labels: path.join(images, 'shapes_labels.txt') } });
  manifest = added.manifest as ImageClassificationManifest;
  session = await InferenceSession.create(path.join(images, 'shapes_classifier.onnx'));
}, 60_000);
afterAll(async () => {
  await session.release();
  removeModelsDir(dir);
});

function difference(ours: ArrayLike<number>, theirs: ArrayLike<number>): { mean: number; max: number } {
  let sum = 0;
  let max = 0;
  for (let i = 0; i < ours.length; i++) {
    const d = Math.abs(ours[i]! - theirs[i]!);
    sum += d;
    max = Math.max(max, d);
  }
  return { mean: sum / ours.length, max };
}

const softmax = (row: number[]) => {
  const m = Math.max(...row);
  const e = row.map((v) => Math.exp(v - m));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / s);
};

describe('the image kind preprocesses as torchvision does', () => {
  it.each([...PHOTOS, SUBSAMPLED])('%s: the normalised tensor within the stated tolerance, the served answer as onnxruntime on torchvision\'s tensor', async (photo) => {
    const file = path.join(photos, photo);
    const theirs = torchvisionTensor(file);
    const ours = (await decodeImage(readFileSync(file), manifest.image, 'float32', { name: photo, path: '', typed: true })).values;
    expect(ours).toHaveLength(3 * 224 * 224);
    const { mean, max } = difference(ours, theirs);
    expect(mean).toBeLessThan(TOLERANCE.mean);
    expect(max).toBeLessThan(photo === SUBSAMPLED ? TOLERANCE.maxSubsampled : TOLERANCE.max);

    const result = await session.run({ input: new Tensor('float32', theirs, [1, 3, 224, 224]) });
    const expected = softmax(Array.from(result.logits!.data as Float32Array));
    const reply = await invoke(predict, {
      ...route('POST', '/models/{name}/predict', { name: 'shapes' }),
      body: readFileSync(file).toString('base64'),
      isBase64Encoded: true,
      headers: { 'content-type': photo.endsWith('.png') ? 'image/png' : 'image/jpeg' },
    });
    expect(reply.status).toBe(200);
    const answer = reply.json as { label: string; probabilities: Record<string, number> };
    expect(answer.label).toBe(manifest.labels[expected.indexOf(Math.max(...expected))]);
    manifest.labels.forEach((label, i) => expect(Math.abs(answer.probabilities[label]! - expected[i]!)).toBeLessThan(TOLERANCE.probability));
  });
});
