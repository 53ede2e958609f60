import Ajv from 'ajv';

/**
 * The one JSON-schema validator of the service. Measured on a cold start:
 * compiling Ajv's meta-schema to check our schemas took most of the ~70 ms
 * spent in Ajv, so schemas are not re-validated at run time (validateSchema:
 * false); tests/schemas.test.ts compiles every schema with checking on.
 * strictNumbers rejects NaN and Infinity (JSON.parse turns 1e999 into Infinity).
 */
export const ajv = new Ajv({ allErrors: true, strict: true, strictNumbers: true, validateSchema: false });
