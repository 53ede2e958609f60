import { cpSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { freshHandlers, type Handlers } from './helpers/handlers';
import { invoke, type Reply } from './helpers/lambda';
import { parityFixture } from './helpers/models';
import { removeModelsDir, scratchModelsDir, useModelsDir } from './helpers/models-dir';
import { route } from './helpers/routes';
import { withSettings } from './helpers/settings';

/**
 * WATCH_MODELS (the local stage's): a running container serves the models
 * folder as it is at each request, so a traffic change, a new version or a
 * deleted manifest reaches every route at its next request with no restart;
 * without it (a deployed zip, whose files never change) the folder is read
 * once.
 */

const customer = parityFixture().cases[0]!.input;
const dir = scratchModelsDir(['churn/1.0.0', 'intent/1.0.0']);
const churn = path.join(dir, 'churn');
cpSync(path.join(churn, '1.0.0'), path.join(churn, '1.1.0'), { recursive: true });
const manifest = JSON.parse(readFileSync(path.join(churn, '1.1.0', 'model.json'), 'utf8'));
writeFileSync(path.join(churn, '1.1.0', 'model.json'), JSON.stringify({ ...manifest, version: '1.1.0' }));

/** Writes churn's traffic file with a modification time that differs from the last one's, as a later write would. */
let writes = 0;
function trafficTo(version: string): void {
  const file = path.join(churn, 'traffic.json');
  writeFileSync(file, JSON.stringify({ split: { [version]: 100 } }));
  writes += 1;
  const at = new Date(Date.UTC(2026, 0, 1) + writes * 1000);
  utimesSync(file, at, at);
}

const servedBy = (reply: Reply) => (reply.json.model as { version: string }).version;

afterAll(() => removeModelsDir(dir));

describe.each([
  ['true', true],
  ['false', false],
])('WATCH_MODELS=%s', (value, watching) => {
  let h: Handlers;
  beforeAll(() => {
    trafficTo('1.0.0');
    useModelsDir(dir);
    h = withSettings({ WATCH_MODELS: value }, () => freshHandlers());
  });

  const predict = () => invoke(h.predict, { ...route('POST', '/models/{name}/predict', { name: 'churn' }), json: customer });

  it(watching ? 'serves a traffic change at the next request, on every route' : 'serves the folder as it was first read', async () => {
    expect(servedBy(await predict())).toBe('1.0.0');
    trafficTo('1.1.0');
    const expected = watching ? '1.1.0' : '1.0.0';
    for (let i = 0; i < 4; i++) expect(servedBy(await predict())).toBe(expected);
    expect((await invoke(h.models, route('GET', '/models/{name}', { name: 'churn' }))).json.version).toBe(expected);
    expect((await invoke(h.v2Metadata, route('GET', '/v2/models/{name}', { name: 'churn' }))).json).toMatchObject({ ready: true });
    expect((await invoke(h.health, route('GET', '/health'))).json).toMatchObject({ model: { version: watching ? expected : '1.0.0' } });
  });

  it(watching ? 'answers 503 at the next request once a manifest is deleted, and serves again once it is back' : 'keeps the manifest it read', async () => {
    const onVersion = () => invoke(h.predict, { ...route('POST', '/models/{name}/versions/{version}/predict', { name: 'churn', version: '1.1.0' }), json: customer });
    expect((await onVersion()).status).toBe(200);
    const file = path.join(churn, '1.1.0', 'model.json');
    const saved = readFileSync(file);
    rmSync(file);
    try {
      const reply = await onVersion();
      expect(reply.status).toBe(watching ? 503 : 200);
      if (watching) expect(reply.json.error).toBe('model unavailable: model.json is missing');
    } finally {
      writeFileSync(file, saved);
    }
    expect((await onVersion()).status).toBe(200);
  });
});
