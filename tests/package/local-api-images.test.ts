import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { stopProcessGroup, type LocalApi } from '../../scripts/local-api';
import { startCapturedLocalApi } from '../helpers/local-api';
import { repoRoot } from '../helpers/models';
import { removeModelsDir, scratchModelsDir } from '../helpers/models-dir';
import { asPattern, readmeExamples } from '../helpers/readme';

// Pictures and forms through `npm start` (the local gateway in front of
// serverless-offline), as a user runs the README's "Images" examples: the
// README's model:add line into a models folder of its own (MODELS_DIR), then
// each curl, whose answer must match the one the README shows (… for any
// text). Also the body limits as the gateway and serverless-offline answer
// them, binary bodies arriving byte for byte.

describe('pictures through npm start, as the README shows them', () => {
  const dir = scratchModelsDir(true);
  let api: LocalApi | undefined;
  let key: string;
  const examples = readmeExamples('images-examples');
  const shell = (command: string, env: Record<string, string> = {}) =>
    spawnSync('bash', ['-c', command], { cwd: repoRoot, env: { ...process.env, MODELS_DIR: dir, ...env }, encoding: 'utf8', timeout: 120_000 });

  beforeAll(async () => {
    for (const { command } of examples.filter((e) => e.command.startsWith('npm run model:add'))) {
      const added = shell(command);
      if (added.status !== 0) throw new Error(`${command}\n${added.stderr}`);
    }
    api = await startCapturedLocalApi({ settings: { MODELS_DIR: dir } });
    key = api.keys['ml-inference-local-pro']!;
  }, 180_000);

  afterAll(async () => {
    if (api) await stopProcessGroup(api.child);
    removeModelsDir(dir);
  });

  it.each(readmeExamples('images-examples').filter((e) => e.command.startsWith('curl')))('answers $command as the README says', ({ command, answer }) => {
    const run = shell(command, { U: api!.base, K: key });
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(asPattern(answer));
  });

  const post = (body: Uint8Array | string, contentType: string, model = 'shapes') =>
    fetch(`${api!.base}/models/${model}/predict`, { method: 'POST', body, headers: { 'x-api-key': key, 'content-type': contentType } });

  it('hands a picture over byte for byte: each sample its own class, a truncated copy 400', async () => {
    for (const [file, type, label] of [['square.png', 'image/png', 'square'], ['triangle.webp', 'image/webp', 'triangle'], ['triangle_exif6.jpg', 'image/jpeg', 'triangle']] as const) {
      const res = await post(readFileSync(path.join(repoRoot, 'tests', 'fixtures', 'images', file)), type);
      expect([file, res.status, ((await res.json()) as { label: string }).label]).toEqual([file, 200, label]);
    }
    const truncated = await post(readFileSync(path.join(repoRoot, 'tests', 'fixtures', 'images', 'truncated.jpg')), 'image/jpeg');
    expect(truncated.status).toBe(400);
    expect(((await truncated.json()) as { code: string }).code).toBe('invalid_image');
  });

  it("answers issue 21's 3.2 MB body of quotes itself, 400, not with the platform's 502", async () => {
    const res = await post(`{"text":"${'\\"'.repeat(1_600_000)}"}`, 'application/json', 'intent');
    expect(res.status).toBe(400);
  });

  it('answers a body over MAX_BODY_BYTES with our 413, and one whose event passes 6 MB with the 502 the platform gives', async () => {
    const over = await post(new Uint8Array(4_194_305), 'image/jpeg');
    expect(over.status).toBe(413);
    expect(((await over.json()) as { error: string }).error).toMatch(/over this API's limit of 4194304 bytes \(MAX_BODY_BYTES\)/);
    const past = await post(new Uint8Array(4_800_000), 'image/jpeg');
    expect(past.status).toBe(502);
  });
});
