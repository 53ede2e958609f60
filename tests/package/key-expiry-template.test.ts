import { execFile, execFileSync } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { scheduled } from '../../lib/http/routes';
import { customerKeyPrefix, serviceName } from '../../scripts/keys/naming';
import { repoRoot } from '../helpers/models';
import { resourcesOfType, template, type Resource } from './artifacts';
import { zipPath } from './zip';

/**
 * The key-expiry function (README, "Access": rotation on a deployed stage)
 * as packaged: its schedule and the event it sends, its own least-privilege
 * role, its alarm; then its bundle from the packaged zip, run in plain Node
 * against a stand-in for API Gateway's management API on 127.0.0.1 (the real
 * one cannot run here; the SDK is pointed at it by AWS_ENDPOINT_URL_API_GATEWAY),
 * with the event the compiled schedule sends.
 */

const FUNCTION = 'KeyDashexpiryLambdaFunction';
const service = serviceName(repoRoot);

type Json = any; // eslint-disable-line @typescript-eslint/no-explicit-any -- CloudFormation templates are free-form JSON
const list = (value: Json): Json[] => (Array.isArray(value) ? value : [value]);
const arnText = (value: Json): string => (typeof value === 'string' ? value : value['Fn::Sub'] ?? (value['Fn::GetAtt'] ? `\${${value['Fn::GetAtt'].join('.')}}` : JSON.stringify(value)));

function grants(role: Resource): string[] {
  return role.Properties.Policies.flatMap((p: Json) => p.PolicyDocument.Statement)
    .flatMap((s: Json) => list(s.Action).flatMap((action: string) => list(s.Resource).map((r: Json) => `${s.Effect} ${action} on ${arnText(r)}`)))
    .sort();
}

const ruleOf = (stage: string) => resourcesOfType(template(stage), 'AWS::Events::Rule').find(([, r]) => JSON.stringify(r.Properties.Targets).includes(`"${FUNCTION}"`));

describe.each(['dev', 'prod'])('the key-expiry function on %s', (stage) => {
  const t = template(stage);
  const r = t.Resources;

  it('runs on the keyExpirySchedule param, alone, with the stage\'s customer key prefix as its event', () => {
    const fn = r[FUNCTION]!.Properties;
    expect(fn.Handler).toBe('handlers/key-expiry.handler');
    expect(fn.Timeout).toBe(scheduled['key-expiry'].timeout);
    expect(fn.ReservedConcurrentExecutions).toBe(1);
    const [, rule] = ruleOf(stage)!;
    expect(rule.Properties.ScheduleExpression).toBe('rate(10 minutes)');
    expect(rule.Properties.State).toBe('ENABLED');
    expect(rule.Properties.Targets).toHaveLength(1);
    expect(JSON.parse(rule.Properties.Targets[0].Input)).toEqual({ keyNamePrefix: customerKeyPrefix(service, stage) });
    expect(JSON.stringify(resourcesOfType(t, 'AWS::ApiGateway::Method'))).not.toContain(FUNCTION);
    const [, config] = resourcesOfType(t, 'AWS::Lambda::EventInvokeConfig').find(([, c]) => c.Properties.FunctionName.Ref === FUNCTION)!;
    expect(config.Properties.MaximumRetryAttempts).toBe(0);
    // Its crashes and timeouts count in the errors alarm.
    expect(JSON.stringify(r.LambdaErrorsAlarm!.Properties.Metrics)).toContain(`{"Ref":"${FUNCTION}"}`);
  });

  it('has its own role: apigateway:GET on /apikeys, apigateway:PATCH on /apikeys/*, its log group and X-Ray; no other function may touch its keys', () => {
    expect(r[FUNCTION]!.Properties.Role).toEqual({ 'Fn::GetAtt': ['KeyExpiryFunctionRole', 'Arn'] });
    expect(grants(r.KeyExpiryFunctionRole!)).toEqual(
      [
        'Allow apigateway:GET on arn:${AWS::Partition}:apigateway:${AWS::Region}::/apikeys',
        'Allow apigateway:PATCH on arn:${AWS::Partition}:apigateway:${AWS::Region}::/apikeys/*',
        'Allow logs:CreateLogStream on ${KeyDashexpiryLogGroup.Arn}',
        'Allow logs:PutLogEvents on ${KeyDashexpiryLogGroup.Arn}',
        'Allow xray:PutTraceSegments on *',
        'Allow xray:PutTelemetryRecords on *',
      ].sort(),
    );
    const withApiGateway = resourcesOfType(t, 'AWS::IAM::Role')
      .filter(([, role]) => JSON.stringify(role.Properties.Policies ?? []).includes('apigateway:'))
      .map(([id]) => id);
    // osls's own role for API Gateway's account settings (access logs) aside; the batch-job routes read usage plans only (GET /usageplans: tests/package/batch.test.ts).
    expect(withApiGateway.filter((id) => !/CustomResource/.test(id)).sort()).toEqual(['BatchJobsFunctionRole', 'KeyExpiryFunctionRole']);
    expect(JSON.stringify(r.BatchJobsFunctionRole!.Properties.Policies).match(/apigateway:[A-Z]+|\/apikeys|\/usageplans/g)).toEqual(['apigateway:GET', '/usageplans']);
  });
});

describe('the key-expiry function on the local stage', () => {
  it('is not scheduled: the local gateway refuses an expired key itself', () => {
    expect(ruleOf('local')![1].Properties.State).toBe('DISABLED');
  });
});

describe("the key-expiry bundle from dev's zip, run in plain Node against a stand-in API Gateway", () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'key-expiry-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('disables the enabled keys past their expires-at, with the requests API Gateway documents, and logs no value', async () => {
    // The bundle and the node_modules beside it: the API Gateway client is one of the zip's externals (serverless.yml).
    execFileSync('unzip', ['-q', zipPath('dev'), 'handlers/key-expiry.js', 'node_modules/*', '-d', dir]);
    const prefix = customerKeyPrefix(service, 'dev');
    const past = new Date(Date.now() - 60_000).toISOString();
    const future = new Date(Date.now() + 3_600_000).toISOString();
    const keys = [
      { id: 'key0000001', name: `${prefix}acme`, enabled: true, tags: { customer: 'acme', 'expires-at': past }, value: 'VALUE-ONE-never-to-be-seen-0000000000000' },
      { id: 'key0000002', name: `${prefix}acme`, enabled: true, tags: { customer: 'acme' }, value: 'VALUE-TWO-never-to-be-seen-0000000000000' },
      { id: 'key0000003', name: `${prefix}beta`, enabled: true, tags: { customer: 'beta', 'expires-at': future }, value: 'VALUE-THREE-never-to-be-seen-00000000000' },
      { id: 'key0000004', name: `${prefix}gone`, enabled: false, tags: { customer: 'gone', 'expires-at': past }, value: 'VALUE-FOUR-never-to-be-seen-000000000000' },
    ];
    const requests: { method: string; url: string; body: string; authorization: string }[] = [];
    const server = createServer((request, response) => {
      let body = '';
      request.on('data', (c: Buffer) => (body += c.toString()));
      request.on('end', () => {
        requests.push({ method: request.method!, url: request.url!, body, authorization: String(request.headers.authorization) });
        const url = new URL(request.url!, 'http://stand-in');
        response.setHeader('content-type', 'application/json');
        if (request.method === 'GET' && url.pathname === '/apikeys') {
          const withValues = url.searchParams.get('includeValues') === 'true';
          return response.end(JSON.stringify({ item: keys.filter((k) => k.name.startsWith(url.searchParams.get('name') ?? '')).map(({ value, ...k }) => (withValues ? { ...k, value } : k)) }));
        }
        const patch = /^\/apikeys\/([^/]+)$/.exec(url.pathname);
        if (request.method === 'PATCH' && patch) {
          const key = keys.find((k) => k.id === patch[1])!;
          key.enabled = false;
          const { value: _, ...rest } = key;
          return response.end(JSON.stringify(rest));
        }
        response.statusCode = 404;
        response.setHeader('x-amzn-errortype', 'NotFoundException');
        response.end('{"message":"not in the stand-in"}');
      });
    });
    const port = await new Promise<number>((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)));
    try {
      const event = ruleOf('dev')![1].Properties.Targets[0].Input as string;
      const script = `require(${JSON.stringify(path.join(dir, 'handlers/key-expiry.js'))}).handler(JSON.parse(process.argv[1])).then((r) => console.log('RESULT ' + JSON.stringify(r)), (e) => { console.log('FAILED ' + e.message); process.exit(1); })`;
      const { stdout } = await promisify(execFile)(process.execPath, ['-e', script, event], {
        env: {
          PATH: process.env.PATH,
          AWS_REGION: 'us-east-1',
          AWS_ACCESS_KEY_ID: 'AKIDSTANDIN',
          AWS_SECRET_ACCESS_KEY: 'stand-in-secret',
          AWS_ENDPOINT_URL_API_GATEWAY: `http://127.0.0.1:${port}`,
          AWS_EC2_METADATA_DISABLED: 'true',
          POWERTOOLS_LOG_LEVEL: 'INFO',
          POWERTOOLS_SERVICE_NAME: 'ml-inference',
        },
        timeout: 30_000,
      });
      const result = JSON.parse(/^RESULT (.*)$/m.exec(stdout)![1]!);
      expect(result).toEqual({ checked: 4, disabled: [{ keyId: 'key0000001', customer: 'acme', expired: past }], unreadable: [] });
      expect(requests.map((q) => [q.method, decodeURIComponent(q.url), q.body ? JSON.parse(q.body) : null])).toEqual([
        ['GET', `/apikeys?includeValues=false&limit=500&name=${prefix}`, null],
        ['PATCH', '/apikeys/key0000001', { patchOperations: [{ op: 'replace', path: '/enabled', value: 'false' }] }],
      ]);
      for (const q of requests) expect(q.authorization).toMatch(/^AWS4-HMAC-SHA256 Credential=AKIDSTANDIN\/\d{8}\/us-east-1\/apigateway\/aws4_request/);
      expect(stdout).toMatch(/"message":"key expiry run"/);
      for (const key of keys) expect(stdout).not.toContain(key.value);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
