import type { KindFields, KindManifest } from '../../manifest/base';

/**
 * An image classifier (torchvision, timm, PaddleOCR's direction classifier):
 * an encoded picture in, decoded and preprocessed as the model was trained
 * (the `image` fields, README "Images"), one float or uint8 tensor
 * [N, 3, H, W] or [N, H, W, 3] into the graph, the top labels out.
 */
export const manifestFields = {
  required: ['image', 'output', 'labels', 'top_k'],
  properties: {
    image: {
      type: 'object',
      additionalProperties: false,
      required: ['input', 'size', 'resize', 'interpolation', 'scale', 'mean', 'std', 'channels', 'layout'],
      properties: {
        /** The graph input the picture goes to. */
        input: { type: 'string', minLength: 1 },
        /** [height, width] of the tensor. */
        size: { type: 'array', minItems: 2, maxItems: 2, items: { type: 'integer', minimum: 1, maximum: 4096 } },
        /**
         * shorter-crop: the shorter side to `shorter_side`, then the centre
         * [height, width] (torchvision's Resize + CenterCrop); stretch: to
         * [height, width] whatever the ratio; pad: to the height keeping the
         * ratio (at most the width), the rest of the width padded with 0 after
         * normalisation (PaddleOCR's classifier).
         */
        resize: { enum: ['shorter-crop', 'stretch', 'pad'] },
        shorter_side: { type: 'integer', minimum: 1, maximum: 8192 },
        /** The resampling kernel: bilinear as torchvision and PIL by default. */
        interpolation: { enum: ['bilinear', 'bicubic', 'nearest', 'lanczos3'] },
        /** Each 0-255 value times this (1/255 for ToTensor), then (v - mean) / std per channel. */
        scale: { type: 'number', exclusiveMinimum: 0 },
        mean: { type: 'array', minItems: 3, maxItems: 3, items: { type: 'number' } },
        std: { type: 'array', minItems: 3, maxItems: 3, items: { type: 'number', exclusiveMinimum: 0 } },
        channels: { enum: ['RGB', 'BGR'] },
        layout: { enum: ['NCHW', 'NHWC'] },
      },
    },
    output: {
      type: 'object',
      additionalProperties: false,
      required: ['name', 'activation'],
      properties: {
        name: { type: 'string', minLength: 1 },
        /** softmax: the graph answers logits; none: it answers probabilities already. */
        activation: { enum: ['softmax', 'none'] },
      },
    },
    /** One per output column, in order; the file they came from is among the manifest's files when `labels_file` names it. */
    labels: { type: 'array', minItems: 1, items: { type: 'string' } },
    labels_file: { type: 'string' },
    /** How many labels an answer lists unless the request asks (top_k). */
    top_k: { type: 'integer', minimum: 1 },
  },
} as const satisfies KindFields;

export type ImageClassificationManifest = KindManifest<'image-classification', typeof manifestFields>;
export type Preprocessing = ImageClassificationManifest['image'];

/** torchvision's ImageNet transforms, the defaults model:add writes. */
export const IMAGENET = { mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225], scale: 1 / 255 } as const;

/** The media types the kind decodes (sharp's JPEG, PNG, WebP and GIF loaders). */
export const IMAGE_TYPES = ['image/jpeg', 'image/png', 'image/webp', 'image/gif'] as const;
