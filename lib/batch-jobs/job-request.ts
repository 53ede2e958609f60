import { ValidationFailed, type ErrorDetail } from '../errors';
import { isPlainObject } from '../plain-object';
import { shorten } from '../shorten';
import type { BatchFormat } from './job';
import { allowedLocation, type S3Location } from './locations';

/**
 * POST /models/{name}/batch-jobs's body (README, "Batch scoring"):
 *
 *   {"input": "s3://bucket/in/customers.csv", "output": "s3://bucket/out/",
 *    "format": "csv", "version": "1.0.0" | "label": "stable"}
 *
 * An input ending in "/" is a prefix of pictures for an image model, one
 * row per picture, as `npm run score` reads a folder. `format` defaults to
 * the input's extension (.csv; .jsonl, .ndjson), and to csv for a prefix of
 * pictures (it is then the output's only); the version to the one the
 * model's traffic split serves most, or a label's.
 * Both locations must lie under the stage's batch prefixes: checked here,
 * before anything is read or started.
 */
export interface JobRequest {
  input: S3Location;
  /** 'images': the input is a prefix of pictures. */
  source?: 'images';
  output: S3Location;
  format: BatchFormat;
  version?: string;
  label?: string;
}

const FIELDS = ['input', 'output', 'format', 'version', 'label'];
const FORMAT_OF_EXTENSION: Record<string, BatchFormat> = { csv: 'csv', jsonl: 'jsonl', ndjson: 'jsonl' };

function refuse(details: ErrorDetail[]): never {
  const [first] = details;
  throw new ValidationFailed(`batch job refused: ${first!.path.slice(1) || 'the body'} ${first!.problem}`, details);
}

export function jobRequest(body: unknown, prefixes: readonly S3Location[]): JobRequest {
  if (!isPlainObject(body)) refuse([{ path: '', problem: 'must be a JSON object: {"input": "s3://…", "output": "s3://…/"}' }]);
  const unknown = Object.keys(body).filter((key) => !FIELDS.includes(key));
  if (unknown.length > 0) refuse(unknown.slice(0, 20).map((key) => ({ path: `/${shorten(key)}`, problem: `is not a batch job field (${FIELDS.join(', ')})` })));
  for (const field of ['input', 'output']) if (!Object.hasOwn(body, field)) refuse([{ path: `/${field}`, problem: 'is required' }]);
  const pictures = typeof body.input === 'string' && body.input.endsWith('/');
  const input = allowedLocation('/input', body.input, prefixes, { prefix: pictures });
  const output = allowedLocation('/output', body.output, prefixes, { prefix: true });

  const extension = /\.([A-Za-z0-9]+)$/.exec(input.key)?.[1]?.toLowerCase() ?? '';
  let format: BatchFormat | undefined = pictures ? 'csv' : FORMAT_OF_EXTENSION[extension];
  if (body.format !== undefined) {
    if (body.format !== 'csv' && body.format !== 'jsonl') refuse([{ path: '/format', problem: 'must be "csv" or "jsonl"' }]);
    format = body.format;
  }
  if (format === undefined) refuse([{ path: '/format', problem: `is required for an input that does not end in .csv, .jsonl or .ndjson` }]);

  for (const field of ['version', 'label'] as const) {
    const value = body[field];
    if (value !== undefined && (typeof value !== 'string' || !/^[A-Za-z0-9._-]{1,64}$/.test(value))) refuse([{ path: `/${field}`, problem: `must be a ${field} name: 1 to 64 of A-Z, a-z, 0-9, ".", "_" and "-"` }]);
  }
  if (body.version !== undefined && body.label !== undefined) refuse([{ path: '/label', problem: 'cannot be given with version: name one or the other' }]);
  return {
    input,
    ...(pictures ? { source: 'images' as const } : {}),
    output,
    format,
    ...(typeof body.version === 'string' ? { version: body.version } : {}),
    ...(typeof body.label === 'string' ? { label: body.label } : {}),
  };
}
