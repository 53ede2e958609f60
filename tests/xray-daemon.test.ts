import { createSocket } from 'node:dgram';
import { daemonAddress, markOutcome, openSubsegment, sendSubsegment, type Subsegment } from '../lib/observability/xray-daemon';

describe('the X-Ray daemon address (AWS_XRAY_DAEMON_ADDRESS)', () => {
  it("reads Lambda's host:port", () => {
    expect(daemonAddress('169.254.79.129:2000')).toEqual({ host: '169.254.79.129', port: 2000 });
  });

  it('takes the UDP part of the SDKs\' "tcp:… udp:…" form', () => {
    expect(daemonAddress('tcp:127.0.0.1:2000 udp:127.0.0.2:2001')).toEqual({ host: '127.0.0.2', port: 2001 });
  });

  it("falls back to the daemon's default when unset or unreadable", () => {
    for (const value of [undefined, '', 'nonsense', 'host:0', 'host:70000', 'tcp:127.0.0.1:2000']) {
      expect({ value, address: daemonAddress(value) }).toEqual({ value, address: { host: '127.0.0.1', port: 2000 } });
    }
  });
});

describe('X-Ray flags for an HTTP outcome', () => {
  const flags = (status: number) => {
    const subsegment = openSubsegment('x');
    markOutcome(subsegment, status);
    return { error: subsegment.error, throttle: subsegment.throttle, fault: subsegment.fault };
  };

  it('marks 4xx as error, 429 as error and throttle, 5xx as fault, and nothing else', () => {
    expect(flags(200)).toEqual({ error: undefined, throttle: undefined, fault: undefined });
    expect(flags(304)).toEqual({ error: undefined, throttle: undefined, fault: undefined });
    expect(flags(400)).toEqual({ error: true, throttle: undefined, fault: undefined });
    expect(flags(429)).toEqual({ error: true, throttle: true, fault: undefined });
    expect(flags(503)).toEqual({ error: undefined, throttle: undefined, fault: true });
  });
});

describe('a subsegment sent to the daemon', () => {
  it("arrives as one datagram: the daemon's header line, then the document with its trace and parent", async () => {
    const listener = createSocket('udp4');
    const received = new Promise<string>((resolve) => listener.once('message', (message) => resolve(message.toString('utf8'))));
    await new Promise<void>((resolve) => listener.bind(0, '127.0.0.1', resolve));
    try {
      const handler: Subsegment = { ...openSubsegment('## handlers/predict.handler'), annotations: { model: 'churn' } };
      handler.subsegments = [{ ...openSubsegment('encode'), end_time: handler.start_time + 0.001 }];
      handler.end_time = handler.start_time + 0.002;
      sendSubsegment(handler, '1-5759e988-bd862e3fe1be46a994272793', '53995c3f42cd8ad8', { host: '127.0.0.1', port: listener.address().port });
      const [header, body, ...rest] = (await received).split('\n');
      expect(JSON.parse(header!)).toEqual({ format: 'json', version: 1 });
      expect(rest).toEqual([]);
      expect(JSON.parse(body!)).toEqual({
        ...handler,
        type: 'subsegment',
        trace_id: '1-5759e988-bd862e3fe1be46a994272793',
        parent_id: '53995c3f42cd8ad8',
      });
      expect(handler.id).not.toBe(handler.subsegments[0]!.id);
    } finally {
      listener.close();
    }
  });
});

describe('a daemon that cannot take the subsegment', () => {
  it('loses the trace, never throws into the request', () => {
    // Port 0 is not a destination dgram accepts: it throws synchronously.
    expect(() => sendSubsegment(openSubsegment('## handlers/predict.handler'), '1-5759e988-bd862e3fe1be46a994272793', '53995c3f42cd8ad8', { host: '127.0.0.1', port: 0 })).not.toThrow();
  });
});
