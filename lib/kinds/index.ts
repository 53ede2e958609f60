import { binaryClassification } from './binary-classification';
import type { BinaryClassificationManifest } from './binary-classification/manifest';
import { imageClassification, type ImageClassificationManifest } from './image-classification';
import type { ModelKind } from './kind';
import type { TensorSpec } from '../manifest/base';
import { tabular, type TabularManifest } from './tabular';
import { tensor, type TensorManifest } from './tensor';
import { textClassification, type TextClassificationManifest } from './text-classification';

/** A manifest of any kind; `kind` tells which. */
export type Manifest = BinaryClassificationManifest | TextClassificationManifest | TabularManifest | TensorManifest | ImageClassificationManifest;
export type KindName = Manifest['kind'];

/**
 * The one table of model kinds. Typed so that adding a manifest type to the
 * union without a kind here, or a kind missing a piece, fails to compile.
 */
export const KINDS: { readonly [K in KindName]: ModelKind<Extract<Manifest, { kind: K }>> } = {
  'binary-classification': binaryClassification,
  'text-classification': textClassification,
  tabular,
  tensor,
  'image-classification': imageClassification,
};

export const KIND_NAMES = Object.keys(KINDS) as KindName[];

export function isKindName(value: unknown): value is KindName {
  return typeof value === 'string' && Object.hasOwn(KINDS, value);
}

/**
 * The kind of a manifest, typed loosely on purpose: TypeScript cannot pair a
 * union member with its table entry, and the manifest was validated against
 * that very kind's schema before it got here.
 */
export function kindOf(manifest: Manifest): ModelKind<Manifest> {
  return KINDS[manifest.kind] as ModelKind<Manifest>;
}

/** The inputs the Open Inference Protocol takes for a model: its kind's own (an image model's encoded pictures), else the graph's. */
export function protocolInputsOf(manifest: Manifest): TensorSpec[] {
  return kindOf(manifest).protocolInputs?.(manifest) ?? manifest.onnx.inputs;
}
