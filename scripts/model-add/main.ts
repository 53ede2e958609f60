// npm run model:add -- <file.onnx | export folder> --name <name> [--version <v>] [--kind <kind>] [--description <text>] [--normalize] [--force] [--promote] [image flags: --labels <file> --size HxW --mean a,b,c --std a,b,c --resize shorter-crop|stretch|pad ...]
// Writes <models dir>/<name>/<version>/model.onnx and a generated model.json (and a folder's tokenizer files, scripts/model-add/text-folder.ts)
// (README, "Bring your own model"). MODELS_DIR is honoured as the service does.
import { sha256Hex } from '../../lib/sha256';
import { BASELINE_FILE } from '../../lib/monitoring/baseline';
import { writeBaseline } from '../baseline-file';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { InferenceSession } from 'onnxruntime-node';
import { DEFAULT_TOLERANCE } from '../../lib/model/golden';
import { isKindName, KIND_NAMES, kindOf, type KindName, type Manifest } from '../../lib/kinds';
import { baseProperties, NAME_PATTERN, VERSION_PATTERN, type GoldenCase, type ManifestBase, type TensorSpec } from '../../lib/manifest/base';
import { loadModel } from '../../lib/model';
import { forgetRepository, listModels } from '../../lib/repository/model-repository';
import { settings } from '../../lib/settings';
import { datatypeOf } from '../../lib/tensors/datatypes';
import { protocolShape, shapeText } from '../../lib/tensors/shape';
import { changeTraffic, describeTraffic, readTrafficFile, writeTrafficFile } from '../traffic-file';
import { CODE_BUDGET, formatNeeds, modelNeeds, modelsIn, zipCheck } from '../model-sizing';
import { chooseKind } from './choose-kind';
import { IMAGE_FLAG_NAMES, ImageFlagError, imageChoice, type ImageChoice, type ImageFlags } from './image-choice';
import { verifiedCompanionFiles } from '../../lib/model/model-files';
import { parseManifest } from '../../lib/repository/parse-manifest';
import { recordAnswers, recordGenerated, recordTensorAnswers, tabularCases } from './golden-cases';
import { readOnnxFile } from './onnx-file';
import { LOCAL_FREE_KEY } from '../local-key';
import { Refused } from './refused';
import { chooseTextKind, isFolder, readTextFolder } from './text-folder';

export interface AddOptions {
  file: string;
  name: string;
  version?: string;
  kind?: string;
  description?: string;
  force?: boolean;
  /** Serve the new version at once instead of keeping the served one (a model that had versions). */
  promote?: boolean;
  /** An image model's labels and preprocessing (README, "Images"). */
  image?: ImageFlags;
  /** text-embedding: L2-normalise each embedding. */
  normalize?: boolean;
  /** A CSV or JSON-lines file of records the model was trained on: the version's monitoring baseline (README, "Monitoring"). */
  baseline?: string;
  /** Input fields never captured (personal data): the manifest's `capture: {field: false}`. */
  noCapture?: string[];
}

export interface Added {
  dir: string;
  manifest: Manifest;
  /** What recording the golden cases skipped, what happened to the model's traffic, and the commands for the next release steps. */
  traffic: string[];
}

export { Refused };

const USAGE =
  'usage: npm run model:add -- <file.onnx | export folder> --name <name> [--version <v>] [--kind <kind>] [--description <text>] [--normalize] [--force] [--promote]\n' +
  '       monitoring: [--baseline <data.csv | data.jsonl>] [--no-capture <field,field>]\n' +
  '       image models: [--labels <file>] [--size HxW] [--mean a,b,c] [--std a,b,c] [--scale 1/255] [--resize shorter-crop|stretch|pad] [--shorter-side N]\n' +
  '                     [--interpolation bilinear|bicubic|nearest|lanczos3] [--channels RGB|BGR] [--activation softmax|none] [--top-k N]';

function signature(metadata: readonly InferenceSession.ValueMetadata[], what: string): TensorSpec[] {
  return metadata.map((m) => {
    if (!m.isTensor) throw new Refused(`${what} "${m.name}" is not a tensor and no rewrite applies to it; only tensor inputs and outputs can be served`);
    const datatype = datatypeOf(m.type);
    if (!datatype) throw new Refused(`${what} "${m.name}" has type ${m.type}, which onnxruntime-node cannot exchange with JSON`);
    // onnxruntime reports an unnamed dynamic dimension as "".
    return { name: m.name, datatype, shape: m.shape.map((d) => (d === '' ? null : d)) };
  });
}

/** Same names, datatypes and shapes; a dynamic dimension matches any other dynamic one, whatever its name. */
const sameSignature = (a: readonly TensorSpec[], b: readonly TensorSpec[]) =>
  a.length === b.length &&
  a.every((s, i) => s.name === b[i]!.name && s.datatype === b[i]!.datatype && protocolShape(s.shape).join() === protocolShape(b[i]!.shape).join());

const describeSignature = (specs: readonly TensorSpec[]) => specs.map((s) => `${s.name} ${s.datatype} ${shapeText(s.shape)}`).join(', ');


/**
 * The image kind when the graph is an image classifier or the user says so
 * (an image flag, --kind image-classification); null for another kind.
 * --kind tensor keeps any graph a tensor model.
 */
async function imageModel(inputs: readonly TensorSpec[], outputs: readonly TensorSpec[], options: AddOptions): Promise<ImageChoice | null> {
  if (options.kind !== undefined && options.kind !== 'image-classification') return null;
  try {
    return await imageChoice(inputs, outputs, options.image ?? {}, options.kind === 'image-classification');
  } catch (error) {
    if (error instanceof ImageFlagError) throw new Refused(error.message);
    throw error;
  }
}

/** The fields of a manifest that belong to its kind (everything but the shared ones). */
function kindFields(manifest: Manifest): Record<string, unknown> {
  return Object.fromEntries(Object.entries(manifest).filter(([key]) => !Object.hasOwn(baseProperties, key)));
}

/**
 * What the added version needs of a function (memory, /tmp: the stage's
 * params follow the largest model, README "Large models"), and a warning
 * when the models folder with it would make a zip Lambda refuses, counting
 * the code at its budget (scripts/model-sizing.js).
 */
export function sizingLines(versionDir: string): string[] {
  const label = `${path.basename(path.dirname(versionDir))}/${path.basename(versionDir)}`;
  const lines = [`${formatNeeds(label, modelNeeds(versionDir))} (serverless.yml's params follow the largest model: README, "Large models")`];
  const check = zipCheck(CODE_BUDGET.unzippedBytes, modelsIn(path.dirname(path.dirname(versionDir))));
  if (!check.ok) lines.push(`warning: with the code at its budget of ${CODE_BUDGET.unzippedBytes / 2 ** 20} MB, ${check.message}`);
  return lines;
}

export async function addModel(options: AddOptions): Promise<Added> {
  const { name, force = false } = options;
  if (!new RegExp(NAME_PATTERN).test(name)) throw new Refused(`--name "${name}" is not a model name: lower-case letters, digits, "-" and "_", starting with a letter or digit (${NAME_PATTERN})`);
  if (options.version !== undefined && !new RegExp(VERSION_PATTERN).test(options.version)) {
    throw new Refused(`--version "${options.version}" is not a version: letters, digits, ".", "-" and "_", e.g. 1.1.0 (${VERSION_PATTERN})`);
  }
  if (options.kind !== undefined && !isKindName(options.kind)) throw new Refused(`--kind "${options.kind}" is not a kind; the kinds are ${KIND_NAMES.join(', ')}`);
  // A folder is an export (optimum-cli export onnx): its model.onnx, with the tokenizer beside it.
  const folder = isFolder(options.file) ? readTextFolder(options.file) : null;
  const onnxPath = folder?.modelFile ?? options.file;
  let original: Buffer;
  try {
    original = readFileSync(onnxPath);
  } catch {
    throw new Refused(`cannot read ${onnxPath}`);
  }
  let onnxFile;
  try {
    onnxFile = readOnnxFile(original);
  } catch (error) {
    throw new Refused(`${onnxPath}: ${(error as Error).message}`);
  }
  let session: InferenceSession;
  try {
    session = await InferenceSession.create(onnxFile.bytes);
  } catch (error) {
    throw new Refused(`onnxruntime-node cannot load ${onnxPath}: ${(error as Error).message.split('\n')[0]}`);
  }
  try {
    const inputs = signature(session.inputMetadata, 'input');
    const outputs = signature(session.outputMetadata, 'output');

    forgetRepository();
    const existing = listModels(settings.modelsDir()).find((m) => m.name === name);
    const previous = existing?.versions.filter((v) => v.manifest).at(-1)?.manifest ?? null;
    if (existing && options.version === undefined) {
      throw new Refused(`model "${name}" exists (versions ${existing.versions.map((v) => v.version).join(', ')}); give --version for the new one`);
    }
    const version = options.version ?? '1.0.0';
    const dir = path.join(settings.modelsDir(), name, version);
    if (existsSync(dir) && !force) throw new Refused(`${name}/${version} exists already; give another --version, or --force to replace it`);

    let kind: KindName;
    let reason: string;
    let fields: Record<string, unknown>;
    let golden: Manifest['golden'] | null = null;
    // Files written beside model.onnx and listed with their sha256 in the manifest's files: a
    // folder's tokenizer and config (unless it is served as tensors), an image model's labels and golden picture.
    let files: Record<string, Buffer> = folder && options.kind !== 'tensor' ? Object.fromEntries(folder.files) : {};
    let image: ImageChoice | null = null;
    // Image flags say how to serve the new file: they are chosen again, not the previous version's kept.
    const imageFlagsGiven = IMAGE_FLAG_NAMES.some((flag) => options.image?.[flag] !== undefined);
    if (previous && (options.kind === undefined || options.kind === previous.kind) && !imageFlagsGiven) {
      if (!sameSignature(inputs, previous.onnx.inputs) || !sameSignature(outputs, previous.onnx.outputs)) {
        throw new Refused(
          `the graph's signature differs from ${name} ${previous.version}'s, so it cannot be a new version of the same ${previous.kind} model:\n` +
            `  ${previous.version}: inputs ${describeSignature(previous.onnx.inputs)}; outputs ${describeSignature(previous.onnx.outputs)}\n` +
            `  new: inputs ${describeSignature(inputs)}; outputs ${describeSignature(outputs)}\n` +
            `give --kind to serve it as another kind, or --name for a new model`,
        );
      }
      kind = previous.kind;
      reason = `kept from ${name} ${previous.version}: the same signature and answer shape`;
      fields = kindFields(previous);
      // Its labels and golden pictures too, as verified where they are; a new export folder brings its own tokenizer and config.
      // Not its baseline: that profiles the previous version's predictions (--baseline profiles this one's).
      if (!folder) files = Object.fromEntries([...verifiedCompanionFiles(existing!.versions.filter((v) => v.manifest).at(-1)!.dir, previous)].filter(([file]) => file !== BASELINE_FILE));
      // The same known inputs, answered by the new version.
      golden = { tolerance: previous.golden.tolerance, cases: previous.golden.cases.map((c) => ({ ...c, answer: null })) };
    } else if (folder && options.kind !== 'tensor') {
      const choice = chooseTextKind(folder, inputs, outputs, options);
      ({ kind, reason, fields } = choice);
      golden = { tolerance: DEFAULT_TOLERANCE, cases: choice.golden };
    } else if ((image = await imageModel(inputs, outputs, options))) {
      kind = 'image-classification';
      reason = options.kind === kind ? `chosen with --kind; ${image.reason}` : image.reason;
      fields = image.fields;
      files = image.files;
      golden = { tolerance: DEFAULT_TOLERANCE, cases: image.golden };
    } else {
      const choice = chooseKind(inputs, outputs, onnxFile.labels);
      if (options.kind !== undefined && options.kind !== choice.kind) {
        if (options.kind !== 'tensor') {
          throw new Refused(
            `--kind ${options.kind} needs fields that only its training script knows (${options.kind === 'tabular' ? 'a graph of [N, 1] columns' : 'features or labels'}); ` +
              `this graph fits ${choice.kind} (${choice.reason}), and --kind tensor serves any graph`,
          );
        }
        kind = 'tensor';
        reason = 'chosen with --kind';
        fields = {};
      } else {
        kind = choice.kind;
        reason = choice.reason;
        fields = choice.fields;
      }
    }

    const sha256 = sha256Hex(onnxFile.bytes);
    const base: ManifestBase = {
      name,
      version,
      description: options.description ?? previous?.description ?? `${path.basename(options.file)} (${onnxFile.producer})`,
      created: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
      kind,
      kind_reason: reason,
      file: 'model.onnx',
      sha256,
      ...(onnxFile.rewritten ? { source: { sha256: sha256Hex(original), rewritten: onnxFile.rewritten } } : {}),
      onnx: { inputs, outputs },
      golden: golden ?? { tolerance: DEFAULT_TOLERANCE, cases: [] },
      training: { added_from: path.basename(options.file), producer: onnxFile.producer },
      ...(Object.keys(files).length > 0 ? { files: Object.fromEntries(Object.entries(files).map(([file, bytes]) => [file, { sha256: sha256Hex(bytes) }])) } : {}),
    };
    // The fields a previous version never captured stay uncaptured unless --no-capture says anew: personal data does not start flowing with a release.
    const notCaptured = (options.noCapture ?? Object.keys(previous?.capture ?? {})).filter((f) => f !== '');
    const draft = { ...base, ...fields, ...(notCaptured.length > 0 ? { capture: Object.fromEntries(notCaptured.map((f) => [f, false])) } : {}) } as Manifest;
    // The kind's own check first (fields against the graph, a crop inside the picture): its reason, not a golden case's failure.
    const problem = kindOf(draft).check(draft);
    if (problem) throw new Refused(`the manifest model:add would write is refused by the service: model.json is invalid: ${problem}`);
    // What the golden cases' recording tried and the graph refused, said rather than left unexplained.
    const notes: string[] = [];
    let cases: GoldenCase[];
    if (golden) cases = await recordAnswers(draft, session, new Map(Object.entries(files)));
    else if (kind === 'tensor') {
      const recorded = await recordTensorAnswers(draft, session);
      cases = recorded.cases;
      notes.push(...recorded.skipped.map((s) => `golden cases: the graph refused ${s}; recorded at the next size`));
    } else cases = await recordGenerated(draft, session, tabularCases(inputs));
    let manifest = { ...draft, golden: { ...draft.golden, cases } } as Manifest;
    const exampleRequest = exampleRequestFile(manifest);
    if (exampleRequest) {
      files[EXAMPLE_REQUEST] = exampleRequest;
      manifest = { ...manifest, files: { ...manifest.files, [EXAMPLE_REQUEST]: { sha256: sha256Hex(exampleRequest) } } };
    }

    // The manifest as the repository will read it (schema and the kind's check): a flag past a field's bounds is refused here, not by the service.
    try {
      parseManifest(JSON.stringify(manifest));
    } catch (error) {
      throw new Refused(`the manifest model:add would write is refused by the service: ${(error as Error).message}`);
    }

    // Written and checked in a folder no reader takes for a version (a dot
    // name), then moved into place: a running `npm start` (WATCH_MODELS)
    // never sees a half-written version, a version that fails its check, or
    // a new version serving before its traffic file keeps the old one.
    const staging = path.join(path.dirname(dir), `.${version}.adding-${process.pid}`);
    rmSync(staging, { recursive: true, force: true });
    mkdirSync(staging, { recursive: true });
    writeFileSync(path.join(staging, 'model.onnx'), onnxFile.bytes);
    for (const [file, bytes] of Object.entries(files)) writeFileSync(path.join(staging, file), bytes);
    writeFileSync(path.join(staging, 'model.json'), `${JSON.stringify(manifest, null, 2)}\n`);
    // The service's own loader must accept what was written, golden cases included.
    try {
      const loaded = await loadModel(staging, manifest);
      if (options.baseline !== undefined) {
        // The baseline is the loaded model's own scoring of the file, written beside it and listed with its sha256.
        let written;
        try {
          written = await writeBaseline(staging, manifest, loaded, path.resolve(options.baseline));
        } catch (error) {
          await loaded.release();
          throw new Refused(`--baseline ${options.baseline}: ${(error as Error).message}`);
        }
        manifest = written.manifest;
        writeFileSync(path.join(staging, 'model.json'), `${JSON.stringify(manifest, null, 2)}\n`);
        notes.push(`baseline.json: ${written.records} records of ${path.basename(options.baseline)} profiled${written.refused.length > 0 ? `, ${written.refused.length} refused (the first, line ${written.refused[0]!.line}: ${written.refused[0]!.reason})` : ''}`);
        await loaded.release();
        await (await loadModel(staging, manifest)).release();
      } else await loaded.release();
    } catch (error) {
      rmSync(staging, { recursive: true, force: true });
      if (error instanceof Refused) throw error;
      throw new Refused(`the written model does not load as the service loads it: ${(error as Error).message}`);
    }
    const promote = options.promote === true;
    const newestBefore = existing?.versions.at(-1)!.version;
    // Without --promote the version served until now keeps all traffic: its traffic file first, then the new folder.
    const kept = existing && !promote ? keepServing(name, version, newestBefore!, false) : [];
    placeVersion(staging, dir);
    forgetRepository();
    const traffic = existing && promote ? keepServing(name, version, newestBefore!, true) : kept;
    return { dir, manifest, traffic: [...notes, ...traffic] };
  } finally {
    await session.release();
  }
}

/**
 * Moves a checked version folder into place; one it replaces (--force) is
 * moved aside first and removed after, so the version is missing for the
 * time of two renames rather than for that of a whole copy.
 */
function placeVersion(staging: string, dir: string): void {
  const aside = `${path.join(path.dirname(dir), `.${path.basename(dir)}.replaced-${process.pid}`)}`;
  const replacing = existsSync(dir);
  if (replacing) renameSync(dir, aside);
  renameSync(staging, dir);
  if (replacing) rmSync(aside, { recursive: true, force: true });
}

/**
 * A new version of a model that is already served does not take its traffic
 * (README, "Releasing a new version"): without a traffic file the newest
 * version would serve everything, so one is written that keeps the version
 * served until now at 100 %; an existing file is left as it is (the new
 * version gets 0 %). --promote serves the new version at once instead.
 */
function keepServing(name: string, version: string, newestBefore: string, promote: boolean): string[] {
  const current = readTrafficFile(name);
  const lines: string[] = [];
  if (promote) {
    writeTrafficFile(name, changeTraffic(current, newestBefore, { promote: version }));
    lines.push(`promoted: ${name} ${version} serves 100% (traffic.json written)`);
  } else if (!current) {
    writeTrafficFile(name, { labels: { stable: newestBefore }, split: { [newestBefore]: 100 } });
    lines.push(`kept ${name} ${newestBefore} serving 100%: wrote traffic.json (without it the newest version, ${version}, would serve everything)`);
  } else {
    lines.push(`traffic.json unchanged, ${version} gets no traffic yet: ${describeTraffic(current, version)}`);
  }
  const served = Object.keys(readTrafficFile(name)?.split ?? { [newestBefore]: 100 })[0]!;
  if (!promote) {
    lines.push(
      'next steps (each writes traffic.json; deploy to apply):',
      `  shadow:   npm run model:traffic -- ${name} --shadow ${version}`,
      `  canary:   npm run model:traffic -- ${name} --split ${served}=90,${version}=10 --label canary=${version}`,
      `  promote:  npm run model:traffic -- ${name} --promote ${version}`,
      `  rollback: npm run model:traffic -- ${name} --promote ${served}`,
    );
  }
  return lines;
}

/** A JSON predict body longer than this is printed as a file (example-request.json beside the model), not inline. */
const INLINE_BODY_CHARS = 2000;
export const EXAMPLE_REQUEST = 'example-request.json';

/** The first golden case's JSON request when it is too long to print inline: written beside the model, so the printed curl can send it. */
function exampleRequestFile(manifest: Manifest): Buffer | null {
  const golden = manifest.golden.cases[0]!;
  if (golden.file !== undefined) return null;
  const body = JSON.stringify(kindOf(manifest).goldenRequest(manifest, golden));
  return body.length > INLINE_BODY_CHARS ? Buffer.from(body) : null;
}

/** A path as the user can type it from where they ran model:add. */
const typed = (file: string) => (path.relative(process.cwd(), file).startsWith('..') ? file : path.relative(process.cwd(), file));

/** The curls a user can paste against `npm start` (PORT as it reads it), with the first golden request: inline, from its file, or the picture. */
export function exampleCurls(manifest: Manifest, dir: string): string[] {
  const url = `http://127.0.0.1:${process.env.PORT ?? '3000'}/local/models/${manifest.name}/predict`;
  const key = `-H 'x-api-key: ${LOCAL_FREE_KEY}'`;
  const golden = manifest.golden.cases[0]!;
  if (golden.file !== undefined && golden.content_type !== undefined) {
    const file = typed(path.join(dir, golden.file));
    return [
      `curl -s -X POST ${url} ${key} -H 'content-type: ${golden.content_type}' --data-binary @${file}`,
      `curl -s -X POST ${url} ${key} -F image=@${file}`,
    ];
  }
  if (manifest.files?.[EXAMPLE_REQUEST]) return [`curl -s -X POST ${url} ${key} -H 'content-type: application/json' -d @${typed(path.join(dir, EXAMPLE_REQUEST))}`];
  const body = JSON.stringify(kindOf(manifest).goldenRequest(manifest, golden));
  return [`curl -s -X POST ${url} ${key} -H 'content-type: application/json' -d '${body.replace(/'/g, "'\\''")}'`];
}

export async function cli(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        name: { type: 'string' },
        version: { type: 'string' },
        kind: { type: 'string' },
        description: { type: 'string' },
        force: { type: 'boolean' },
        promote: { type: 'boolean' },
        normalize: { type: 'boolean' },
        baseline: { type: 'string' },
        'no-capture': { type: 'string' },
        ...Object.fromEntries(IMAGE_FLAG_NAMES.map((flag) => [flag, { type: 'string' as const }])),
      },
    });
  } catch (error) {
    console.error(`model:add: ${(error as Error).message}\n${USAGE}`);
    return 2;
  }
  const [file, ...extra] = parsed.positionals;
  if (!file || extra.length > 0 || !parsed.values.name) {
    console.error(USAGE);
    return 2;
  }
  try {
    // parseArgs types the options it was given literally; the image flags are spread in from a list, so read them by name.
    const values = parsed.values as Record<string, string | boolean | undefined>;
    const { name, version, kind, description, force, promote, normalize } = values;
    const image = Object.fromEntries(IMAGE_FLAG_NAMES.filter((f) => values[f] !== undefined).map((f) => [f, String(values[f])])) as ImageFlags;
    const { dir, manifest, traffic } = await addModel({
      file,
      name: String(name),
      version: version as string | undefined,
      kind: kind as string | undefined,
      description: description as string | undefined,
      force: force === true,
      promote: promote === true,
      normalize: normalize === true,
      image,
      baseline: values.baseline as string | undefined,
      noCapture: typeof values['no-capture'] === 'string' ? values['no-capture'].split(',').map((f) => f.trim()) : undefined,
    });
    console.log(`wrote ${path.join(dir, 'model.onnx')}${manifest.source ? ` (${manifest.source.rewritten})` : ''}`);
    if (manifest.files) console.log(`wrote ${Object.keys(manifest.files).join(', ')} beside it (each file's sha256 in model.json's files)`);
    console.log(`wrote ${path.join(dir, 'model.json')}: kind ${manifest.kind} (${manifest.kind_reason}); ${manifest.golden.cases.length} golden cases`);
    for (const line of traffic) console.log(line);
    for (const line of sizingLines(dir)) console.log(line);
    console.log(`\nTry it with npm start running:\n${exampleCurls(manifest, dir).map((c) => `  ${c}`).join('\n')}`);
    return 0;
  } catch (error) {
    console.error(`model:add: ${error instanceof Refused ? error.message : `failed: ${String(error)}`}`);
    return error instanceof Refused ? 2 : 1;
  }
}

if (require.main === module) void cli(process.argv.slice(2)).then((code) => process.exit(code));
