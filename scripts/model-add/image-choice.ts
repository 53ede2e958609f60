import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { GoldenCase, TensorSpec } from '../../lib/manifest/base';
import { exampleImage } from '../../lib/kinds/image-classification/example-image';
import { parseLabels } from '../../lib/kinds/labels';
import { IMAGENET, type ImageClassificationManifest } from '../../lib/kinds/image-classification/manifest';
import { shapeText } from '../../lib/tensors/shape';

/** What model:add is told about an image model (README, "Images"); every flag optional. */
export interface ImageFlags {
  labels?: string;
  size?: string;
  mean?: string;
  std?: string;
  scale?: string;
  resize?: string;
  'shorter-side'?: string;
  interpolation?: string;
  channels?: string;
  activation?: string;
  'top-k'?: string;
}

export const IMAGE_FLAG_NAMES = ['labels', 'size', 'mean', 'std', 'scale', 'resize', 'shorter-side', 'interpolation', 'channels', 'activation', 'top-k'] as const;

export interface ImageChoice {
  reason: string;
  fields: Omit<ImageClassificationManifest, keyof import('../../lib/manifest/base').ManifestBase>;
  /** The labels file (as given) and the golden picture, written beside model.onnx. */
  files: Record<string, Buffer>;
  golden: GoldenCase[];
}

/** A refusal model:add prints as it is. */
export class ImageFlagError extends Error {}

const EXAMPLE = 'example.png';
const RESIZES = ['shorter-crop', 'stretch', 'pad'] as const;
const INTERPOLATIONS = ['bilinear', 'bicubic', 'nearest', 'lanczos3'] as const;

function numbers(flag: string, text: string | undefined, count: number, fallback: readonly number[]): number[] {
  if (text === undefined) return [...fallback];
  const values = text.split(',').map((v) => Number(v.trim()));
  if (values.length !== count || values.some((v) => !Number.isFinite(v))) throw new ImageFlagError(`--${flag} "${text}" must be ${count} numbers separated by commas, e.g. ${fallback.join(',')}`);
  return values;
}

function oneOf<T extends string>(flag: string, text: string | undefined, allowed: readonly T[], fallback: T): T {
  if (text === undefined) return fallback;
  if (!(allowed as readonly string[]).includes(text)) throw new ImageFlagError(`--${flag} "${text}" must be one of ${allowed.join(', ')}`);
  return text as T;
}

function positiveInteger(flag: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  if (!/^\d+$/.test(text) || Number(text) < 1) throw new ImageFlagError(`--${flag} "${text}" must be a whole number from 1`);
  return Number(text);
}

/** The picture tensor's layout from the graph's input: channels second ([N, 3, H, W]) or last ([N, H, W, 3]). */
function layoutOf(spec: TensorSpec): { layout: 'NCHW' | 'NHWC'; height: TensorSpec['shape'][number]; width: TensorSpec['shape'][number] } | null {
  if (spec.shape.length !== 4) return null;
  if (spec.shape[1] === 3) return { layout: 'NCHW', height: spec.shape[2]!, width: spec.shape[3]! };
  if (spec.shape[3] === 3) return { layout: 'NHWC', height: spec.shape[1]!, width: spec.shape[2]! };
  return null;
}

/**
 * Whether a graph is an image classifier and the fields to serve it: one
 * FP32 or UINT8 input [N, 3, H, W] or [N, H, W, 3] and one FP32 output
 * [N, K]. Chosen by itself when H and W are fixed; with dynamic H or W only
 * when told (an image flag, or --kind image-classification), as --size
 * must then say the size. null: not this kind (the caller says why another
 * one fits).
 */
export async function imageChoice(inputs: readonly TensorSpec[], outputs: readonly TensorSpec[], flags: ImageFlags, forced: boolean): Promise<ImageChoice | null> {
  const told = forced || IMAGE_FLAG_NAMES.some((f) => flags[f] !== undefined);
  const [input] = inputs;
  const layout = inputs.length === 1 && (input!.datatype === 'FP32' || input!.datatype === 'UINT8') ? layoutOf(input!) : null;
  const [output] = outputs.filter((o) => o.datatype === 'FP32' && o.shape.length === 2);
  const fixed = layout !== null && typeof layout.height === 'number' && typeof layout.width === 'number';
  if (!told && !(fixed && output)) return null;
  if (!layout) {
    throw new ImageFlagError(`an image model takes one FP32 or UINT8 input [N, 3, H, W] or [N, H, W, 3]; this graph takes ${inputs.map((i) => `"${i.name}" ${i.datatype} ${shapeText(i.shape)}`).join(', ')}`);
  }
  if (!output) throw new ImageFlagError(`an image classifier answers one FP32 output [N, classes]; this graph answers ${outputs.map((o) => `"${o.name}" ${o.datatype} ${shapeText(o.shape)}`).join(', ')}`);

  let size: [number, number];
  if (flags.size !== undefined) {
    const match = /^(\d+)x(\d+)$/.exec(flags.size);
    if (!match || Number(match[1]) < 1 || Number(match[2]) < 1) throw new ImageFlagError(`--size "${flags.size}" must be HEIGHTxWIDTH, e.g. 224x224`);
    size = [Number(match[1]), Number(match[2])];
    if ((typeof layout.height === 'number' && layout.height !== size[0]) || (typeof layout.width === 'number' && layout.width !== size[1])) {
      throw new ImageFlagError(`--size ${flags.size} disagrees with the graph's input "${input!.name}" ${shapeText(input!.shape)}`);
    }
  } else if (fixed) {
    size = [layout.height as number, layout.width as number];
  } else {
    throw new ImageFlagError(`input "${input!.name}" is ${shapeText(input!.shape)}: its height or width is dynamic, so give the size the model was trained at with --size HEIGHTxWIDTH`);
  }

  const uint8 = input!.datatype === 'UINT8';
  const classes = typeof output.shape[1] === 'number' ? output.shape[1] : null;
  let labels: string[];
  const files: Record<string, Buffer> = {};
  let labelsFile: string | undefined;
  if (flags.labels !== undefined) {
    let bytes: Buffer;
    try {
      bytes = readFileSync(flags.labels);
    } catch {
      throw new ImageFlagError(`cannot read --labels ${flags.labels}`);
    }
    const parsed = parseLabels(bytes.toString('utf8'));
    if (!Array.isArray(parsed)) throw new ImageFlagError(`--labels ${flags.labels} ${parsed.problem}`);
    if (classes !== null && parsed.length !== classes) throw new ImageFlagError(`--labels ${flags.labels} lists ${parsed.length} labels; output "${output.name}" has ${classes} columns`);
    labels = parsed;
    // Under its own name when that is a safe file name (labels.txt, config.json), else labels.txt.
    // Never a name the version folder already uses.
    const reserved = [EXAMPLE, 'model.onnx', 'model.json', 'example-request.json'];
    const base = path.basename(flags.labels);
    labelsFile = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/.test(base) && !reserved.includes(base) ? base : 'labels.txt';
    files[labelsFile] = bytes;
  } else {
    if (classes === null) throw new ImageFlagError(`output "${output.name}" is ${shapeText(output.shape)}: give --labels, one label per column`);
    labels = Array.from({ length: classes }, (_, i) => String(i));
  }

  const resize = oneOf('resize', flags.resize, RESIZES, 'shorter-crop');
  if (flags['shorter-side'] !== undefined && resize !== 'shorter-crop') throw new ImageFlagError(`--shorter-side applies to --resize shorter-crop only, not ${resize}`);
  const image: ImageClassificationManifest['image'] = {
    input: input!.name,
    size,
    resize,
    // torchvision's ImageNet eval: Resize(256) then CenterCrop(224), the crop 0.875 of the shorter side.
    ...(resize === 'shorter-crop' ? { shorter_side: positiveInteger('shorter-side', flags['shorter-side']) ?? Math.floor(Math.max(...size) / 0.875) } : {}),
    interpolation: oneOf('interpolation', flags.interpolation, INTERPOLATIONS, 'bilinear'),
    scale: flags.scale === undefined ? (uint8 ? 1 : IMAGENET.scale) : scaleOf(flags.scale),
    mean: numbers('mean', flags.mean, 3, uint8 ? [0, 0, 0] : IMAGENET.mean),
    std: numbers('std', flags.std, 3, uint8 ? [1, 1, 1] : IMAGENET.std),
    channels: oneOf('channels', flags.channels, ['RGB', 'BGR'] as const, 'RGB'),
    layout: layout.layout,
  };
  files[EXAMPLE] = await exampleImage(0);
  const fields = {
    image,
    output: { name: output.name, activation: oneOf('activation', flags.activation, ['softmax', 'none'] as const, 'softmax') },
    labels,
    ...(labelsFile ? { labels_file: labelsFile } : {}),
    top_k: positiveInteger('top-k', flags['top-k']) ?? 5,
  };
  const from = fixed ? `one ${input!.datatype} input "${input!.name}" ${shapeText(input!.shape)}` : `input "${input!.name}" ${shapeText(input!.shape)} at --size ${size.join('x')}`;
  return {
    reason: `an image classifier: ${from} (${layout.layout}) and ${labels.length} classes in "${output.name}"${labelsFile ? `, labels from ${labelsFile}` : ', labels the column numbers (give --labels)'}`,
    fields,
    files,
    golden: [{ content_type: 'image/png', file: EXAMPLE, answer: null }],
  };
}

/** --scale as a number or a fraction ("1/255"). */
function scaleOf(text: string): number {
  const match = /^(\d+(?:\.\d+)?)(?:\/(\d+(?:\.\d+)?))?$/.exec(text.trim());
  const value = match ? Number(match[1]) / (match[2] === undefined ? 1 : Number(match[2])) : NaN;
  if (!Number.isFinite(value) || value <= 0) throw new ImageFlagError(`--scale "${text}" must be a positive number or fraction, e.g. 1/255 or 1`);
  return value;
}
