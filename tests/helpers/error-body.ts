import Ajv from 'ajv';

/** The one error body of our routes (README, "Errors"), as a JSON schema. */
export const errorBodySchema = {
  type: 'object',
  additionalProperties: false,
  required: ['error'],
  properties: {
    error: {
      type: 'object',
      additionalProperties: false,
      required: ['code', 'message', 'details', 'request_id'],
      properties: {
        code: { type: 'string', pattern: '^[a-z_]+$' },
        message: { type: 'string', minLength: 1, maxLength: 500 },
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
    },
  },
};

export const isErrorBody = new Ajv({ allErrors: true }).compile(errorBodySchema);
