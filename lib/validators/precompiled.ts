import type { ValidateFunction } from 'ajv';

/**
 * Validators compiled ahead of time, by schema key (lib/ajv.ts), each behind
 * a function that loads it. Empty in the sources: when the functions are
 * bundled for packaging or `npm start` (serverless-esbuild),
 * scripts/esbuild-plugins.js replaces this module with one that loads Ajv's
 * standalone code for every schema the service compiles for the models in
 * models/, a file per schema beside the bundles
 * (scripts/precompile-validators.ts).
 */
export const precompiled: Readonly<Record<string, () => ValidateFunction>> = {};
