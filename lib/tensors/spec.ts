import type { FromSchema, JSONSchema } from 'json-schema-to-ts';
import { DATATYPE_NAMES } from './datatypes';

/**
 * One graph input or output, as a manifest declares it: its name, protocol
 * datatype and shape (dynamic dimensions as names or null, ./shape.ts). Here,
 * at the bottom layer, because the tensor code reads it; the manifest's
 * schema (lib/manifest/base.ts) takes it from here.
 */
export const tensorSpecSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['name', 'datatype', 'shape'],
  properties: {
    name: { type: 'string', minLength: 1 },
    datatype: { enum: DATATYPE_NAMES },
    shape: { type: 'array', items: { anyOf: [{ type: 'integer', minimum: 0 }, { type: 'string' }, { type: 'null' }] } },
  },
} as const satisfies JSONSchema;
export type TensorSpec = FromSchema<typeof tensorSpecSchema>;
