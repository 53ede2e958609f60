import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { kindOf, type Manifest } from '../../lib/kinds';
import { repoRoot } from '../helpers/models';
import { resourcesOfType, template } from './artifacts';

const predictEvent = JSON.parse(readFileSync(path.join(repoRoot, 'tests', 'events', 'predict.json'), 'utf8')) as APIGatewayProxyEvent;

export interface GoldenRun {
  results: { statusCode: number; body: string }[];
  compiledSchemas: number;
}

/**
 * Every golden case of these models as a POST /models/{name}/predict, sent
 * to the predict bundle of an unzipped task root by zip-runner.js in a fresh
 * Node process (as Lambda would: LAMBDA_TASK_ROOT, NODE_ENV=production, the
 * dev template's environment for the function, then `env`). `work` holds the
 * runner and its calls. The runner's own line, parsed; its output is printed.
 */
export function runGoldenCases(work: string, task: string, manifests: readonly Manifest[], env: Record<string, string>): GoldenRun {
  const calls = manifests.flatMap((manifest) =>
    manifest.golden.cases.map((golden) => ({
      fn: 'predict',
      event: {
        ...predictEvent,
        resource: '/models/{name}/predict',
        path: `/models/${manifest.name}/predict`,
        pathParameters: { name: manifest.name },
        body: JSON.stringify(golden.request ?? kindOf(manifest).goldenRequest(manifest, golden)),
      },
    })),
  );
  copyFileSync(path.join(__dirname, 'zip-runner.js'), path.join(work, 'runner.js'));
  writeFileSync(path.join(work, 'calls.json'), JSON.stringify(calls));
  const fn = resourcesOfType(template('dev'), 'AWS::Lambda::Function').find(([id]) => id === 'PredictLambdaFunction');
  const fullEnv = { ...(fn![1].Properties.Environment.Variables as Record<string, string>), PATH: process.env.PATH ?? '/usr/bin:/bin', LAMBDA_TASK_ROOT: task, NODE_ENV: 'production', HOME: '/tmp', CAPTURE_SAMPLE: '0', ...env };
  const run = spawnSync(process.execPath, [path.join(work, 'runner.js'), path.join(work, 'calls.json')], { cwd: tmpdir(), env: fullEnv, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, timeout: 60_000 });
  if (run.status !== 0) throw new Error(`the runner exited with ${run.status}:\n${run.stderr}`);
  process.stdout.write(run.stdout);
  const line = run.stdout.split('\n').find((l) => l.startsWith('ZIP-RUNNER-RESULT '));
  return JSON.parse(line!.slice('ZIP-RUNNER-RESULT '.length)) as GoldenRun;
}

/** Each answer against its model's golden case, as loading compares them: through the kind's golden view (a tensor model's keeps a sample of its outputs). */
export function expectGoldenAnswers(output: GoldenRun, manifests: readonly Manifest[]): void {
  const expected = manifests.flatMap((manifest) => manifest.golden.cases.map((golden) => ({ manifest, answer: golden.answer })));
  expect(output.results).toHaveLength(expected.length);
  output.results.forEach((result, i) => {
    const { manifest, answer: golden } = expected[i]!;
    const { model, ...answer } = JSON.parse(result.body) as Record<string, unknown>;
    expect({ status: result.statusCode, name: (model as { name: string }).name }).toEqual({ status: 200, name: manifest.name });
    expect(kindOf(manifest).runtime(manifest, new Map()).goldenView(answer)).toEqual(golden);
  });
}
