import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { addModel } from '../../scripts/model-add/main';
import { functions, lambdaLogicalId, scheduled } from '../../lib/http/routes';
import { CODE_BUDGET, LAMBDA, largestNeeds, MB, modelsIn, packagedFiles, zipCheck } from '../../scripts/model-sizing';
import { writeWideMlp } from '../../scripts/wide-mlp';
import { repoRoot } from '../helpers/models';
import { removeModelsDir, scratchModelsDir, useModelsDir } from '../helpers/models-dir';
import { resourcesOfType, template } from './artifacts';
import { sizeReport, zipEntries, zippedBytes, type ZipEntry } from './zip';

/**
 * Issue 24, item 3: adding real models must not fail the code's size budget,
 * and models too large for a zip must fail with the way out. Two generated
 * models (wide MLPs, scripts/wide-mlp.ts, 120 and 90 MB of weights that do
 * not compress) are added with model:add to a scratch copy of the models
 * folder. Packaging again would only change models/ (the precompiled
 * validators are per record schema; these tensor models have none), so the
 * zip they would make is the packaged dev zip's code entries with this
 * folder's version files as package.patterns picks them, and the same size
 * checks as tests/package/zip-contents.test.ts run on it.
 */

describe('the dev zip with two large models added', () => {
  let models: string;
  let scratch: string;
  let sizes: ReturnType<typeof sizeReport>;

  beforeAll(async () => {
    scratch = mkdtempSync(path.join(tmpdir(), 'large-models-'));
    models = scratchModelsDir(true);
    useModelsDir(models);
    for (const [name, mb] of [['embedder-xl', 120], ['ranker-xl', 90]] as const) {
      const { file } = writeWideMlp(path.join(scratch, `${name}.onnx`), mb * MB);
      await addModel({ file, name });
    }
    const code = zipEntries('dev').filter((e) => !e.name.startsWith('models/'));
    const added: ZipEntry[] = modelsIn(models).flatMap(({ label, dir }) =>
      packagedFiles(dir).map((file) => {
        const bytes = statSync(path.join(dir, file)).size;
        // Stored as they are: random float32 weights do not deflate (the code's zipped share is all the budget counts).
        return { name: `models/${label}/${file}`, bytes, compressed: bytes };
      }),
    );
    const codeZipped = sizeReport(zipEntries('dev'), zippedBytes('dev')).codeZipped;
    sizes = sizeReport([...code, ...added], codeZipped + added.reduce((s, e) => s + e.compressed, 0));
  }, 180_000);

  afterAll(() => {
    removeModelsDir(models);
    rmSync(scratch, { recursive: true, force: true });
  });

  it("leaves the code's share and its budget as they were", () => {
    const packaged = sizeReport(zipEntries('dev'), zippedBytes('dev'));
    expect({ unzipped: sizes.codeUnzipped, zipped: sizes.codeZipped }).toEqual({ unzipped: packaged.codeUnzipped, zipped: packaged.codeZipped });
    expect(sizes.codeUnzipped).toBeLessThanOrEqual(CODE_BUDGET.unzippedBytes);
    expect(sizes.codeWithinBudget).toBe(true);
  });

  it("is over Lambda's 250 MB unzipped, and the check names both models, largest first, and the way out", () => {
    expect(sizes.codeUnzipped + sizes.models.reduce((s, m) => s + m.bytes, 0)).toBeGreaterThan(LAMBDA.unzippedBytes);
    expect(sizes.lambda.ok).toBe(false);
    const { message } = sizes.lambda;
    expect(message).toMatch(/embedder-xl\/1\.0\.0 1[12]\d\.\d MB, ranker-xl\/1\.0\.0 \d{2}\.\d MB/);
    expect(message).toContain(`over Lambda's limit of 250 MB (${LAMBDA.unzippedBytes} bytes) unzipped`);
    for (const wayOut of ['MODEL_STORE=s3://', 'npm run model:push -- <name>', 'container image']) expect(message).toContain(wayOut);
  });

  it('passes with one of them moved out of the package (to the store or an image)', () => {
    const without = sizes.models.filter((m) => m.label !== 'embedder-xl/1.0.0');
    expect(zipCheck(sizes.codeUnzipped, without)).toEqual(expect.objectContaining({ ok: true, message: '' }));
  });
});

describe('the packaged template, sized to the largest packaged model (scripts/model-sizing.js)', () => {
  it("gives every function the rule's memory, and the API's functions its /tmp", () => {
    const needs = largestNeeds(path.join(repoRoot, 'models'));
    const names = new Set(Object.keys(functions).map(lambdaLogicalId));
    const fns = resourcesOfType(template('dev'), 'AWS::Lambda::Function').filter(([id]) => names.has(id) || Object.keys(scheduled).map(lambdaLogicalId).includes(id));
    expect(fns.length).toBe(Object.keys(functions).length + Object.keys(scheduled).length);
    for (const [id, { Properties: p }] of fns) {
      expect({ id, memory: p.MemorySize }).toEqual({ id, memory: needs.memoryMb });
      if (names.has(id)) expect({ id, tmp: p.EphemeralStorage }).toEqual({ id, tmp: { Size: needs.tmpMb } });
    }
  });
});
