import { readFileSync } from 'node:fs';
import path from 'node:path';
import { LAYERS } from '../scripts/check-imports';
import { readmeBlock, readmeTableRows } from './helpers/readme';

/** README "Layout": the layers it lists are the import check's, and its example of adding a route is the code's own lines. */

const root = path.resolve(__dirname, '..');
const source = (file: string) => readFileSync(path.join(root, file), 'utf8');

describe('README, Layout', () => {
  it("lists the import check's layers, top to bottom", () => {
    const paths = readmeTableRows('layers').map((row) => row[1]!.replace(/`/g, '').replace(/\.ts$/, '').replace(/\/$/, '').split(', '));
    expect(paths.map((p) => p.map((x) => x.replace(/\/$/, '')))).toEqual(LAYERS.map((layer) => [...layer]));
  });

  it('shows adding a route with lines that stand in the route table and the handler as written', () => {
    const [row, operation] = [...readmeBlock('adding-a-route').matchAll(/```\w+\n([^\n]+)\n```/g)].map((m) => m[1]!);
    expect(source('lib/http/routes.js')).toContain(row);
    expect(source('handlers/models.ts')).toContain(operation);
  });
});
