import Ajv from 'ajv';

/**
 * The one error body of every route, ours and the Open Inference Protocol's
 * (README, "Errors"), as a JSON schema: `error` is the message as a string.
 */
export const errorBodySchema = {
  type: 'object',
  additionalProperties: false,
  required: ['error', 'code', 'details', 'request_id'],
  properties: {
    error: { type: 'string', minLength: 1, maxLength: 500 },
    code: { type: 'string', pattern: '^[a-z_]+$' },
    details: {
      type: 'array',
      maxItems: 20,
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['path', 'problem'],
        properties: { path: { type: 'string', maxLength: 1000 }, problem: { type: 'string', maxLength: 500 } },
      },
    },
    request_id: { type: 'string', minLength: 1 },
  },
};

export const isErrorBody = new Ajv({ allErrors: true }).compile(errorBodySchema);

/** The fields of an error body a test reads. */
export interface ErrorBody {
  error: string;
  code: string;
  details: { path: string; problem: string }[];
  request_id: string;
}
