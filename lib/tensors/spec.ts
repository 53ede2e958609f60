/** One graph input or output, as a manifest declares it: declared, with its schema, in lib/manifest/base.ts. */
export type { TensorSpec } from '../manifest/base';
