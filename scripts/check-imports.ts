// The project's own import check (README, "Layout"): a request flows one way,
// down the layers, and no lib/ folder reaches back up or round in a circle.
// tests/imports.test.ts runs it over the tree; `node` on the bundle prints
// what it finds (exit 1 when it finds anything).
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';

/**
 * Top to bottom; a module may import its own layer and any layer below.
 * `import type` counts too: a type is a dependency of the same direction.
 */
export const LAYERS: readonly (readonly string[])[] = [
  ['handlers'],
  // Batch jobs on a deployed stage: the routes' checks and the state machine's steps, over the batch scorer and the data plane.
  ['lib/batch-jobs'],
  // Batch scoring reads files of records into the REST route's formats and serves them through the data plane: a protocol beside the routes.
  ['lib/protocols', 'lib/batch'],
  ['lib/dataplane'],
  ['lib/rollout'],
  ['lib/registry'],
  ['lib/repository'],
  ['lib/model'],
  // The manifest's shared fields are the kinds' (each kind adds its own).
  // Monitoring's profiles and drift read baselines and captures, never a model: loading a model builds its monitoring context from them.
  ['lib/kinds', 'lib/manifest', 'lib/monitoring'],
  // A request body as the kinds receive it (types only, and the readers of files and forms).
  ['lib/tensors', 'lib/bodies'],
];

/**
 * Beside the layers: imported from any layer, importing none of them (only
 * each other and the utilities). lib/http is the HTTP edge: only handlers
 * and protocols may import it.
 */
export const BESIDE: readonly string[] = ['lib/http', 'lib/observability', 'lib/capture', 'lib/settings', 'lib/errors'];
const HTTP_ONLY_FROM = ['handlers', 'lib/protocols'];

/** Small helpers with no project imports of their own beyond each other and the modules beside: usable from anywhere. */
export const UTILITIES: readonly string[] = ['lib/caller', 'lib/sha256', 'lib/plain-object', 'lib/media-type', 'lib/logger', 'lib/shorten', 'lib/json-pointer', 'lib/ajv', 'lib/validators', 'lib/cold-start', 'lib/s3'];

/** A file's unit: its folder under lib/ (lib/kinds/tabular/index.ts → lib/kinds), or lib/<file> without extension, or handlers. */
export function unitOf(relative: string): string | null {
  const parts = relative.split('/');
  if (parts[0] === 'handlers') return 'handlers';
  if (parts[0] !== 'lib' || parts.length < 2) return null;
  return parts.length === 2 ? `lib/${parts[1]!.replace(/(\.d)?\.[jt]s$/, '')}` : `lib/${parts[1]}`;
}

const layerOf = (unit: string) => LAYERS.findIndex((layer) => layer.includes(unit));

export interface ImportEdge {
  from: string;
  to: string;
}

/** Every relative import of every .ts and .js file under handlers/ and lib/, as repository-relative paths. */
export function importsOf(root: string): ImportEdge[] {
  const edges: ImportEdge[] = [];
  const visit = (dir: string) => {
    for (const name of readdirSync(path.join(root, dir)).sort()) {
      const relative = `${dir}/${name}`;
      if (statSync(path.join(root, relative)).isDirectory()) visit(relative);
      else if (/\.[jt]s$/.test(name)) {
        const text = readFileSync(path.join(root, relative), 'utf8');
        // import … from '…', export … from '…', import('…'), require('…'): every way a module names another.
        for (const match of text.matchAll(/(?:\bfrom\s*|\bimport\s*\(\s*|\brequire\s*\(\s*|^\s*import\s+)['"](\.{1,2}\/[^'"]+)['"]/gm)) {
          edges.push({ from: relative, to: path.posix.normalize(path.posix.join(dir, match[1]!)) });
        }
      }
    }
  };
  for (const top of ['handlers', 'lib']) visit(top);
  return edges;
}

/** What breaks the layering: upward imports, a module beside the layers importing one, lib/http from elsewhere, and circles between units. */
export function importProblems(root: string): string[] {
  const problems: string[] = [];
  const units = new Map<string, Set<string>>();
  for (const { from, to } of importsOf(root)) {
    const source = unitOf(from);
    const target = unitOf(to);
    if (source === null || target === null || source === target) continue;
    (units.get(source) ?? units.set(source, new Set()).get(source)!).add(target);
    const describe = `${from} imports ${to}`;
    const [sourceLayer, targetLayer] = [layerOf(source), layerOf(target)];
    const known = (unit: string, layer: number) => layer >= 0 || BESIDE.includes(unit) || UTILITIES.includes(unit);
    if (!known(source, sourceLayer) || !known(target, targetLayer)) {
      problems.push(`${describe}: ${known(source, sourceLayer) ? target : source} is in no layer (scripts/check-imports.ts)`);
    } else if (target === 'lib/http' && !HTTP_ONLY_FROM.includes(source)) {
      problems.push(`${describe}: lib/http is imported from handlers and protocols only`);
    } else if (targetLayer >= 0 && sourceLayer < 0) {
      problems.push(`${describe}: ${source} is beside the layers and imports none of them`);
    } else if (targetLayer >= 0 && targetLayer < sourceLayer) {
      problems.push(`${describe}: an import up the layers (${source} is below ${target})`);
    }
  }
  // Circles between units, each reported once by its members in order.
  const seen = new Set<string>();
  const stack: string[] = [];
  const walk = (unit: string) => {
    const at = stack.indexOf(unit);
    if (at >= 0) {
      const circle = stack.slice(at);
      const key = [...circle].sort().join(' ');
      if (!seen.has(key)) {
        seen.add(key);
        problems.push(`a circle of imports: ${[...circle, unit].join(' → ')}`);
      }
      return;
    }
    stack.push(unit);
    for (const next of units.get(unit) ?? []) walk(next);
    stack.pop();
  };
  for (const unit of units.keys()) walk(unit);
  return problems;
}

if (require.main === module) {
  const problems = importProblems(path.resolve(__dirname, '..'));
  for (const problem of problems) console.log(problem);
  process.exit(problems.length > 0 ? 1 : 0);
}
