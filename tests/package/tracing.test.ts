import { execFile, execFileSync } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { parityFixture } from '../helpers/models';
import { resourcesOfType, template } from './artifacts';
import { zipPath } from './zip';

/**
 * X-Ray from the packaged prod zip, run in plain Node with the environment
 * Lambda gives a traced function. The function sends segment documents over
 * UDP to the daemon's address (lib/observability/xray-daemon.ts): here a
 * listener on loopback.
 */

interface XraySegment {
  name: string;
  id: string;
  type?: string;
  start_time: number;
  end_time?: number;
  error?: boolean;
  fault?: boolean;
  throttle?: boolean;
  parent_id?: string;
  trace_id?: string;
  annotations?: Record<string, unknown>;
  metadata?: unknown;
  cause?: unknown;
  subsegments?: XraySegment[];
}

const MARKER = 'zz-traced-body-marker-zz';
const eventsDir = path.resolve(__dirname, '..', 'events');
const predictEvent = JSON.parse(readFileSync(path.join(eventsDir, 'predict.json'), 'utf8')) as APIGatewayProxyEvent;
const customer = parityFixture().cases[0]!.input;
const traceId = (n: number) => `Root=1-5759e988-bd862e3fe1be46a99427279${n};Parent=53995c3f42cd8ad${n};Sampled=1`;
const onModel = (name: string, body: unknown): APIGatewayProxyEvent => ({
  ...predictEvent,
  resource: '/models/{name}/predict',
  path: `/models/${name}/predict`,
  pathParameters: { name },
  body: JSON.stringify(body),
});

const calls = [
  { fn: 'predict', event: { ...predictEvent, body: JSON.stringify({ ...customer, note: MARKER }) }, traceId: traceId(1) },
  { fn: 'predict', event: onModel('intent', { text: `cancel ${MARKER}` }), traceId: traceId(2) },
  { fn: 'predict', event: { ...predictEvent, body: JSON.stringify({ ...customer, tenure: MARKER }) }, traceId: traceId(3) },
  // Not sampled, as most requests are: nothing is sent.
  { fn: 'predict', event: predictEvent, traceId: traceId(4).replace('Sampled=1', 'Sampled=0') },
];

/**
 * Every segment document in a datagram, with the trace it belongs to: the
 * request's handler subsegment, sent on its own (with its trace_id and
 * parent_id), and the subsegments nested in it, flattened.
 */
function flatten(segment: XraySegment, traceOf: string, parent: string | undefined, into: (XraySegment & { trace: string })[]): void {
  into.push({ ...segment, trace: segment.trace_id ?? traceOf, parent_id: segment.parent_id ?? parent });
  for (const child of segment.subsegments ?? []) flatten(child, segment.trace_id ?? traceOf, segment.id, into);
}

interface TracedRun {
  results: { statusCode: number }[];
  datagrams: string[];
  segments: (XraySegment & { trace: string })[];
}

/** Runs the calls, in order, in one fresh process over the unzipped prod zip, collecting what it sends to the daemon. */
async function tracedRun(runCalls: typeof calls): Promise<TracedRun> {
  const socket = createSocket('udp4');
  const datagrams: string[] = [];
  socket.on('message', (message) => datagrams.push(message.toString('utf8')));
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  const work = mkdtempSync(path.join(tmpdir(), 'trace-run-'));
  try {
    const port = socket.address().port;
    const task = path.join(work, 'task');
    execFileSync('unzip', ['-q', zipPath('prod'), '-d', task]);
    copyFileSync(path.join(__dirname, 'zip-runner.js'), path.join(work, 'runner.js'));
    writeFileSync(path.join(work, 'calls.json'), JSON.stringify(runCalls));
    const fn = resourcesOfType(template('prod'), 'AWS::Lambda::Function').find(([id]) => id === 'PredictLambdaFunction');
    const env = {
      ...(fn![1].Properties.Environment.Variables as Record<string, string>),
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      HOME: '/tmp',
      LAMBDA_TASK_ROOT: task,
      // What Lambda sets for a function with TracingConfig Active.
      AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs22.x',
      AWS_LAMBDA_FUNCTION_NAME: 'ml-inference-prod-predict',
      AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
      _HANDLER: 'handlers/predict.handler',
      AWS_XRAY_DAEMON_ADDRESS: `127.0.0.1:${port}`,
    };
    const { stdout } = await promisify(execFile)(process.execPath, [path.join(work, 'runner.js'), path.join(work, 'calls.json')], {
      cwd: tmpdir(),
      env,
      encoding: 'utf8',
      maxBuffer: 16 * 1024 * 1024,
      timeout: 60_000,
    });
    process.stdout.write(stdout); // the handlers' lines: captured, shown if a test fails
    const line = stdout.split('\n').find((l) => l.startsWith('ZIP-RUNNER-RESULT '));
    const results = (JSON.parse(line!.slice('ZIP-RUNNER-RESULT '.length)) as { results: { statusCode: number }[] }).results;
    // Datagrams sent before the process exited may still be in the socket's queue.
    await new Promise((resolve) => setTimeout(resolve, 200));
    const segments: TracedRun['segments'] = [];
    for (const datagram of datagrams) {
      const [header, body] = datagram.split('\n');
      expect(JSON.parse(header!)).toEqual({ format: 'json', version: 1 });
      flatten(JSON.parse(body!) as XraySegment, '', undefined, segments);
    }
    return { results, datagrams, segments };
  } finally {
    socket.close();
    rmSync(work, { recursive: true, force: true });
  }
}

/** The handler subsegment of the call whose trace header is traceId(n). */
const handlerSegmentOf = (segments: TracedRun['segments'], n: number) =>
  segments.find((s) => s.name === '## handlers/predict.handler' && s.trace === traceId(n).split(';')[0]!.slice('Root='.length));

describe('tracing in the packaged function', () => {
  let results: { statusCode: number }[];
  let datagrams: string[];
  let segments: TracedRun['segments'];

  beforeAll(async () => {
    ({ results, datagrams, segments } = await tracedRun(calls));
  });

  const handlerSegment = (n: number) => handlerSegmentOf(segments, n);
  /** The names of a segment's direct subsegments, in the order they closed. */
  const childNames = (segment: XraySegment | undefined) => segments.filter((s) => segment !== undefined && s.parent_id === segment.id).map((s) => s.name);

  it("answers as without tracing", () => {
    expect(results.map((r) => r.statusCode)).toEqual([200, 200, 400, 200]);
  });

  it('sends a handler subsegment per request, annotated with the model and version', () => {
    for (const n of [1, 2, 3]) expect(handlerSegment(n)).toBeDefined();
    expect(handlerSegment(1)!.annotations).toMatchObject({ model: 'churn', version: expect.any(String), ColdStart: true, Service: 'ml-inference' });
    expect(handlerSegment(2)!.annotations).toMatchObject({ model: 'intent', ColdStart: false });
    expect(handlerSegment(3)!.annotations).toMatchObject({ model: 'churn' });
  });

  it("sends each handler subsegment as an independent subsegment of Lambda's segment, timed, with X-Ray's flags for its HTTP outcome", () => {
    for (const n of [1, 2, 3]) {
      const handler = handlerSegment(n)!;
      const [root, parent] = traceId(n).split(';').map((part) => part.split('=')[1]);
      expect(handler).toMatchObject({ type: 'subsegment', trace_id: root, parent_id: parent });
      expect(handler.id).toMatch(/^[0-9a-f]{16}$/);
      expect(handler.end_time).toBeGreaterThanOrEqual(handler.start_time);
      // Seconds since the epoch: within a minute of now.
      expect(Math.abs(handler.start_time - Date.now() / 1000)).toBeLessThan(60);
      for (const child of segments.filter((s) => s.parent_id === handler.id)) {
        expect(child.start_time).toBeGreaterThanOrEqual(handler.start_time);
        expect(child.end_time).toBeLessThanOrEqual(handler.end_time!);
      }
    }
    // 200s carry no flag; the 400 is an error (a client's), not a fault.
    for (const n of [1, 2]) expect(handlerSegment(n)).not.toHaveProperty('error');
    expect(handlerSegment(3)).toMatchObject({ error: true });
    expect(handlerSegment(3)).not.toHaveProperty('fault');
  });

  it('sends nothing for a request X-Ray does not sample', () => {
    expect(segments.filter((s) => s.trace.endsWith('4'))).toEqual([]);
    expect(segments.map((s) => s.trace).filter((t) => t !== '')).toHaveLength(segments.length);
  });

  it('has subsegments for encoding and the onnxruntime run, and model load for a model first used in the request', () => {
    // churn was loaded during init (outside any trace): encode and run only.
    expect(childNames(handlerSegment(1))).toEqual(['encode', 'onnxruntime run']);
    // intent is loaded by this request (its golden self-test is part of the load).
    expect(childNames(handlerSegment(2))).toEqual(['model load', 'encode', 'onnxruntime run']);
    // Only these: the self-tests' own runs are not shown as the requests'.
    expect(segments.map((s) => s.name).sort()).toEqual(
      ['## handlers/predict.handler', '## handlers/predict.handler', '## handlers/predict.handler', 'encode', 'encode', 'encode', 'model load', 'onnxruntime run', 'onnxruntime run'].sort(),
    );
    // A rejected request stops in encoding: no run.
    expect(childNames(handlerSegment(3))).toEqual(['encode']);
  });

  it('carries no request body, answer or stack trace', () => {
    const all = datagrams.join('\n');
    expect(all).not.toContain(MARKER);
    expect(all).not.toContain('churn_probability');
    expect(all).not.toMatch(/\bat .+:\d+:\d+/);
    for (const n of [1, 2, 3]) {
      expect(handlerSegment(n)!.metadata).toBeUndefined();
      expect(handlerSegment(n)!.cause).toBeUndefined();
    }
  });
});

describe('tracing in a container whose first request is not sampled', () => {
  let run: TracedRun;
  const unsampled = (n: number) => traceId(n).replace('Sampled=1', 'Sampled=0');

  beforeAll(async () => {
    // The daemon's socket opens on the first sampled request (lib/observability/xray-daemon.ts), here the second.
    run = await tracedRun([
      { fn: 'predict', event: predictEvent, traceId: unsampled(5) },
      { fn: 'predict', event: predictEvent, traceId: traceId(6) },
      { fn: 'predict', event: predictEvent, traceId: unsampled(7) },
      { fn: 'predict', event: predictEvent, traceId: traceId(8) },
    ]);
  });

  it('answers every request', () => {
    expect(run.results.map((r) => r.statusCode)).toEqual([200, 200, 200, 200]);
  });

  it('traces the sampled requests as a container traced from the start would, not as cold starts', () => {
    for (const n of [6, 8]) {
      const handler = handlerSegmentOf(run.segments, n);
      expect(handler?.annotations).toMatchObject({ model: 'churn', ColdStart: false, Service: 'ml-inference' });
      expect(run.segments.filter((s) => s.parent_id === handler!.id).map((s) => s.name)).toEqual(['encode', 'onnxruntime run']);
    }
  });

  it('sends nothing for the requests it does not sample, before or after', () => {
    expect(run.segments.filter((s) => s.trace.endsWith('5') || s.trace.endsWith('7'))).toEqual([]);
  });
});
