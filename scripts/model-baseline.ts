import { settings } from '../lib/settings';
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { loadModel } from '../lib/model';
import { findVersion, forgetRepository } from '../lib/repository/model-repository';
import { parseManifest } from '../lib/repository/parse-manifest';
import { writeBaseline } from './baseline-file';

/**
 * npm run model:baseline -- <name> [--version v] <data.csv|data.jsonl> [--source "text"]
 *
 * The baseline of a version that exists (README, "Monitoring"): its
 * records scored by the version itself, profiled into baseline.json beside
 * it, and the file's sha256 recorded in its model.json. The manifest is
 * replaced in one rename, and the version must still load afterwards.
 */
const USAGE = 'usage: npm run model:baseline -- <name> [--version <v>] <data.csv | data.jsonl> [--source <text>]';

export async function cli(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, allowPositionals: true, options: { version: { type: 'string' }, source: { type: 'string' } } });
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n${USAGE}\n`);
    return 2;
  }
  const [name, data] = parsed.positionals;
  if (name === undefined || data === undefined || parsed.positionals.length > 2) {
    process.stderr.write(`${USAGE}\n`);
    return 2;
  }
  try {
    const entry = findVersion(name, parsed.values.version, settings.modelsDir());
    const manifestFile = path.join(entry.dir, 'model.json');
    const manifest = parseManifest(readFileSync(manifestFile, 'utf8'));
    const model = await loadModel(entry.dir, manifest);
    const written = await writeBaseline(entry.dir, manifest, model, path.resolve(data), parsed.values.source);
    await model.release();
    const staged = `${manifestFile}.baseline-${process.pid}`;
    writeFileSync(staged, `${JSON.stringify(written.manifest, null, 2)}\n`);
    renameSync(staged, manifestFile);
    forgetRepository();
    await (await loadModel(entry.dir, parseManifest(readFileSync(manifestFile, 'utf8')))).release();
    process.stdout.write(`${name} ${manifest.version}: baseline.json from ${written.records} records of ${path.basename(data)} (${written.bytes} bytes)\n`);
    for (const r of written.refused.slice(0, 10)) process.stdout.write(`  line ${r.line} left out: ${r.reason}\n`);
    if (written.refused.length > 10) process.stdout.write(`  … ${written.refused.length - 10} more lines left out\n`);
    return 0;
  } catch (error) {
    process.stderr.write(`model:baseline: ${(error as Error).message}\n`);
    return 1;
  }
}

if (require.main === module) void cli(process.argv.slice(2)).then((code) => process.exit(code));
