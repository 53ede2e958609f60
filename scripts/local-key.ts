/**
 * The free plan's key on the `local` stage (serverless.yml,
 * params.local.freeKeyValue), for curls printed to paste against `npm start`.
 * tests/package/cloudformation.test.ts checks the compiled template has it.
 */
export const LOCAL_FREE_KEY = 'local-free-key-not-a-secret';
