import { randomBytes } from 'node:crypto';
import type { Socket } from 'node:dgram';
import { logger } from '../logger';

/**
 * An X-Ray subsegment in the segment document format the X-Ray daemon takes
 * (AWS X-Ray Developer Guide, "AWS X-Ray segment documents"). Times are
 * seconds since the epoch. Only what this service records: a name, its
 * timing, annotations, the HTTP outcome's flags and nested subsegments; never
 * metadata, a cause or an answer, which could hold what clients sent.
 */
export interface Subsegment {
  name: string;
  id: string;
  start_time: number;
  end_time?: number;
  annotations?: Record<string, string | boolean>;
  /** A 4xx answer. */
  error?: true;
  /** A 429 answer (with error). */
  throttle?: true;
  /** A 5xx answer. */
  fault?: true;
  subsegments?: Subsegment[];
}

/** Seconds since the epoch to the microsecond, as X-Ray's times are written. */
export function epochSeconds(): number {
  return (performance.timeOrigin + performance.now()) / 1000;
}

/** A subsegment begun now, with a new 64-bit id in 16 hex digits. */
export function openSubsegment(name: string): Subsegment {
  return { name, id: randomBytes(8).toString('hex'), start_time: epochSeconds() };
}

/** Marks a subsegment with the flags X-Ray gives an HTTP status: error for 4xx, throttle too for 429, fault for 5xx. */
export function markOutcome(subsegment: Subsegment, statusCode: number): void {
  if (statusCode >= 500) subsegment.fault = true;
  else if (statusCode >= 400) {
    subsegment.error = true;
    if (statusCode === 429) subsegment.throttle = true;
  }
}

export interface DaemonAddress {
  host: string;
  port: number;
}

const DEFAULT_DAEMON: DaemonAddress = { host: '127.0.0.1', port: 2000 };

/**
 * The daemon's UDP address from AWS_XRAY_DAEMON_ADDRESS, which Lambda sets as
 * `host:port`; the X-Ray SDKs also accept `tcp:host:port udp:host:port`,
 * whose UDP part is taken. Unset or unreadable: the daemon's default,
 * 127.0.0.1:2000.
 */
export function daemonAddress(value: string | undefined): DaemonAddress {
  const udp = value?.split(/\s+/).find((part) => part.startsWith('udp:'))?.slice('udp:'.length) ?? value?.trim();
  const match = udp === undefined ? null : /^([^:\s]+):(\d{1,5})$/.exec(udp);
  const port = Number(match?.[2]);
  return match && port > 0 && port < 65536 ? { host: match[1]!, port } : DEFAULT_DAEMON;
}

/** Every document the daemon reads starts with this line. */
const HEADER = '{"format":"json","version":1}\n';

let socket: Socket | undefined;
let warned = false;

/** A failed send loses that trace only: it is logged once per container and never reaches a request. */
function sendFailed(error: Error | null): void {
  if (error === null || warned) return;
  warned = true;
  logger.warn('X-Ray daemon unreachable; traces are being dropped', { error: error.message });
}

/**
 * Sends a finished subsegment to the daemon as an independent subsegment of
 * the trace `traceId`, under the segment `parentId` (in Lambda, the
 * function's own segment, from the trace header's Parent). One datagram per
 * request, its nested subsegments inside it. The socket is made on the first
 * send and does not keep the process alive; node:dgram is required then too,
 * not while the bundle loads (0.5 ms of every cold start, most of whose
 * containers meet no sampled request at first).
 */
export function sendSubsegment(subsegment: Subsegment, traceId: string, parentId: string, to: DaemonAddress): void {
  const document = JSON.stringify({ ...subsegment, type: 'subsegment', trace_id: traceId, parent_id: parentId });
  try {
    if (socket === undefined) {
      const { createSocket } = require('node:dgram') as typeof import('node:dgram');
      socket = createSocket('udp4');
      socket.on('error', sendFailed);
      socket.unref();
    }
    socket.send(HEADER + document, to.port, to.host, sendFailed);
  } catch (error) {
    // dgram throws synchronously for some failures (a closed socket, a bad address): still never the request's.
    sendFailed(error instanceof Error ? error : new Error(String(error)));
  }
}
