/** One graph input or output, as a manifest declares it: derived from its schema in lib/manifest/base.ts. */
export type { TensorSpec } from '../manifest/base';
