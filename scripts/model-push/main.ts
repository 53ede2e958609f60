// npm run model:push -- <name> [--version <v>] [--stage <s>]: uploads a
// model's version folders (every version, or the one named) and its
// traffic.json from MODELS_DIR to the model store (README, "Large models").
// The store: MODEL_STORE=s3://bucket/prefix if set, else the --stage's, from
// its stack's outputs. AWS_ENDPOINT_URL_S3 points it at an S3-compatible
// server (path-style addressing, lib/s3.ts).
import path from 'node:path';
import { parseArgs } from 'node:util';
import { settings } from '../../lib/settings';
import { formatNeeds, modelNeeds } from '../model-sizing';
import { pushModel, PushRefused } from './push';
import { stageStore } from './stage-store';

const USAGE = 'usage: npm run model:push -- <name> [--version <v>] [--stage <stage>]   (MODEL_STORE=s3://bucket/prefix, or --stage, names the store)';
const root = path.resolve(__dirname, '..');

const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;

async function main(argv: string[]): Promise<number> {
  let values: { version?: string; stage?: string };
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: { version: { type: 'string' }, stage: { type: 'string' } } }));
  } catch (error) {
    console.error(`${(error as Error).message}\n${USAGE}`);
    return 2;
  }
  if (positionals.length !== 1) {
    console.error(USAGE);
    return 2;
  }
  const [name] = positionals as [string];
  const store = settings.modelStore() ?? (values.stage !== undefined ? await stageStore(root, values.stage) : undefined);
  if (store === undefined) {
    console.error(`no model store: set MODEL_STORE=s3://bucket/prefix, or give --stage <stage> to push to a deployed stage's\n${USAGE}`);
    return 2;
  }
  const pushed = await pushModel(store, settings.modelsDir(), name, values.version);
  for (const version of pushed.versions) {
    const bytes = version.files.reduce((sum, f) => sum + f.bytes, 0);
    const sent = version.files.filter((f) => f.sent);
    console.log(`${name} ${version.version}: ${version.files.length} files, ${mb(bytes)} (${sent.length} sent, ${version.files.length - sent.length} unchanged) → ${pushed.store}${name}/${version.version}/`);
    console.log(`  pin (MODEL_STORE_PINS, the modelPins param): ${version.pin}`);
    // A stage served from the store has no models in its package to size from: these are its params.
    console.log(`  ${formatNeeds(`${name}/${version.version}`, modelNeeds(version.dir))} (--param="memorySize=…" --param="ephemeralStorageSize=…" for the largest model a stage serves)`);
  }
  if (pushed.traffic) console.log(`${name} traffic.json ${pushed.traffic.sent ? 'sent' : 'unchanged'}`);
  if (pushed.trafficHeld) console.log(`${name} traffic.json not sent: ${pushed.trafficHeld}`);
  console.log(`Functions with MODEL_STORE=${pushed.store} see it within MODEL_STORE_RELIST_SECONDS (${settings.modelStoreRelistSeconds()} s).`);
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error instanceof PushRefused || error instanceof Error ? `model:push: ${error.message}` : 'model:push failed');
    process.exit(1);
  },
);
