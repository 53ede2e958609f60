import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { importProblems } from '../scripts/check-imports';

/**
 * The layering of README "Layout", checked on the tree as it is, and the
 * check itself proven on small trees that break it each way.
 */

const root = path.resolve(__dirname, '..');

describe('the import check', () => {
  it('finds no upward import, no circle between lib/ folders and no misplaced import in this tree', () => {
    expect(importProblems(root)).toEqual([]);
  });

  describe('on a tree that breaks the layering', () => {
    let dir: string;
    const write = (file: string, text: string) => {
      mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
      writeFileSync(path.join(dir, file), text);
    };
    beforeEach(() => {
      dir = mkdtempSync(path.join(tmpdir(), 'imports-'));
      write('handlers/predict.ts', "import { infer } from '../lib/dataplane';\nimport { api } from '../lib/http/api';\n");
      write('lib/dataplane/index.ts', "import { route } from '../rollout/route';\n");
      write('lib/rollout/route.ts', "import type { Model } from '../model';\n");
      write('lib/model/index.ts', "import { kind } from '../kinds';\n");
      write('lib/kinds/index.ts', "import { shape } from '../tensors/shape';\n");
      write('lib/tensors/shape.ts', 'export const shape = 1;\n');
      write('lib/http/api.ts', "import { logger } from '../logger';\n");
      write('lib/logger.ts', 'export const logger = 1;\n');
    });
    afterEach(() => rmSync(dir, { recursive: true, force: true }));

    it('passes when every import runs down', () => {
      expect(importProblems(dir)).toEqual([]);
    });

    it('names an upward import, a type import too', () => {
      write('lib/kinds/index.ts', "import type { Route } from '../rollout/route';\n");
      expect(importProblems(dir)).toEqual([
        'lib/kinds/index.ts imports lib/rollout/route: an import up the layers (lib/kinds is below lib/rollout)',
        'a circle of imports: lib/rollout → lib/model → lib/kinds → lib/rollout',
      ]);
    });

    it('names a module beside the layers that imports one, and lib/http imported from the domain', () => {
      write('lib/observability/metrics.ts', "import { infer } from '../dataplane';\n");
      write('lib/rollout/route.ts', "import { respond } from '../http/api';\n");
      expect(importProblems(dir)).toEqual([
        'lib/observability/metrics.ts imports lib/dataplane: lib/observability is beside the layers and imports none of them',
        'lib/rollout/route.ts imports lib/http/api: lib/http is imported from handlers and protocols only',
      ]);
    });

    it('names a folder that is in no layer', () => {
      write('lib/dataplane/index.ts', "import { x } from '../somewhere/new';\n");
      expect(importProblems(dir)).toEqual(['lib/dataplane/index.ts imports lib/somewhere/new: lib/somewhere is in no layer (scripts/check-imports.ts)']);
    });
  });
});
