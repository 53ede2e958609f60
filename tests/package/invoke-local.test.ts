import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { loadModel } from '../../lib/model';
import { findVersion } from '../../lib/repository/model-repository';
import { modelsDir, repoRoot, served } from '../helpers/models';

const cli = require.resolve('serverless/bin/serverless.js', { paths: [repoRoot] });
// Each test runs the serverless CLI under `timeout 120`; jest's own bound is the same (its 30 s default tripped on a loaded 2-core machine).
const CLI_TIMEOUT_MS = 125_000;

describe('serverless invoke local -f predict --path tests/events/predict.json', () => {
  it('answers 200 with the same prediction the library makes', async () => {
    const stdout = execFileSync('timeout', ['120', process.execPath, cli, 'invoke', 'local', '-f', 'predict', '--stage', 'local', '--path', 'tests/events/predict.json'], {
      cwd: repoRoot,
      encoding: 'utf8',
      env: { ...process.env, SLS_TELEMETRY_DISABLED: '1', SLS_NOTIFICATIONS_MODE: 'off' },
    });
    process.stdout.write(stdout); // captured, shown if a test fails
    // The CLI prints the handler's return value as pretty JSON after its own lines.
    const result = JSON.parse(stdout.slice(stdout.indexOf('{\n'))) as { statusCode: number; body: string };
    expect(result.statusCode).toBe(200);

    const event = JSON.parse(readFileSync(path.join(repoRoot, 'tests/events/predict.json'), 'utf8')) as { body: string };
    const entry = findVersion('churn', served('churn').version, modelsDir);
    const model = await loadModel(entry.dir, entry.manifest!);
    const { body: expected, warnings } = await model.predict({ json: JSON.parse(event.body) });
    await model.release();
    expect(warnings).toEqual([]);
    expect(JSON.parse(result.body)).toEqual({ ...expected, model: { name: 'churn', version: model.info.version } });
  }, CLI_TIMEOUT_MS);
});

describe('serverless invoke local -f predict --data with a bare customer (not an API Gateway event)', () => {
  it('answers 400 invalid_event with a message that says what the event must look like', () => {
    const customer = JSON.parse((JSON.parse(readFileSync(path.join(repoRoot, 'tests/events/predict.json'), 'utf8')) as { body: string }).body) as Record<string, unknown>;
    const stdout = execFileSync('timeout', ['120', process.execPath, cli, 'invoke', 'local', '-f', 'predict', '--stage', 'local', '--data', JSON.stringify(customer)], {
      cwd: repoRoot,
      encoding: 'utf8',
      env: { ...process.env, SLS_TELEMETRY_DISABLED: '1', SLS_NOTIFICATIONS_MODE: 'off' },
    });
    process.stdout.write(stdout); // captured, shown if a test fails
    const result = JSON.parse(stdout.slice(stdout.indexOf('{\n'))) as { statusCode: number; body: string };
    expect(result.statusCode).toBe(400);
    const body = JSON.parse(result.body) as { code: string; error: string };
    expect(body.code).toBe('invalid_event');
    expect(body.error).toContain('API Gateway proxy event');
    expect(body.error).toContain('--path tests/events/predict.json');
  }, CLI_TIMEOUT_MS);
});
