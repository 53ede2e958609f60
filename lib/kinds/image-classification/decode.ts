import type { Sharp, SharpOptions } from 'sharp';
import { InvalidImage, PayloadTooLarge, UnsupportedMediaType } from '../../errors';
import type { Preprocessing } from './manifest';

/**
 * An encoded picture into the tensor values the graph takes, as the model
 * was trained (README, "Images"): EXIF orientation applied, alpha flattened
 * on white, grayscale made RGB, resized and cropped or padded, scaled and
 * normalised per channel, in the graph's channel order and layout. Decoded
 * with sharp (libvips), loaded on the first image a container decodes so
 * that no function that never decodes one pays for it.
 */

/** Most pixels a picture may declare: checked from its header before anything is decoded (a 40 MP photo is 120 MB as RGB). */
export const MAX_PIXELS = 40_000_000;

type SharpModule = (input: Buffer, options?: SharpOptions) => Sharp;
let loaded: SharpModule | undefined;

function sharp(): SharpModule {
  if (!loaded) {
    // A lazy require: sharp's native binding loads with the first image, not with the function.
    const module = require('sharp') as SharpModule & { cache(on: boolean): void; concurrency(threads: number): void };
    // No libvips operation cache (each request's picture is new) and one thread, as onnxruntime has: a Lambda has one or two vCPUs.
    module.cache(false);
    module.concurrency(1);
    loaded = module;
  }
  return loaded;
}

/** The formats sharp's loaders read here, by their first bytes: refused before sharp parses anything else (SVG, TIFF, HEIF). */
const SIGNATURES: { format: string; matches: (b: Buffer) => boolean }[] = [
  { format: 'jpeg', matches: (b) => b.length > 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff },
  { format: 'png', matches: (b) => b.length > 8 && b.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) },
  { format: 'gif', matches: (b) => b.length > 6 && (b.subarray(0, 6).toString('latin1') === 'GIF87a' || b.subarray(0, 6).toString('latin1') === 'GIF89a') },
  { format: 'webp', matches: (b) => b.length > 12 && b.subarray(0, 4).toString('latin1') === 'RIFF' && b.subarray(8, 12).toString('latin1') === 'WEBP' },
];

const KERNELS = { bilinear: 'linear', bicubic: 'cubic', nearest: 'nearest', lanczos3: 'lanczos3' } as const;

/** Python's round(): halves to even, as torchvision's CenterCrop computes its offsets. */
function roundHalfEven(x: number): number {
  const floor = Math.floor(x);
  const diff = x - floor;
  if (diff !== 0.5) return Math.round(x);
  return floor % 2 === 0 ? floor : floor + 1;
}

export interface Decoded {
  /** One picture's values, in the graph's layout, [3, H, W] or [H, W, 3]. */
  values: Float32Array | Uint8Array;
  /** What the client should know (an animated picture's frames, a tiny picture upscaled). */
  notes: string[];
  /** The picture as sent, for capture's summary (README, "Monitoring"). */
  picture: { format: string; width: number; height: number };
}

interface Plan {
  resize: { width: number; height: number };
  crop?: { left: number; top: number; width: number; height: number };
  /** Columns of the tensor past the picture (pad): left at 0. */
  padFrom?: number;
}

/** Where the picture goes, from its upright size: torchvision's arithmetic for shorter-crop, PaddleOCR's for pad. */
function plan(width: number, height: number, prep: Preprocessing): Plan {
  const [targetHeight, targetWidth] = prep.size as [number, number];
  if (prep.resize === 'stretch') return { resize: { width: targetWidth, height: targetHeight } };
  if (prep.resize === 'pad') {
    const resized = Math.min(targetWidth, Math.ceil((targetHeight * width) / height));
    return { resize: { width: resized, height: targetHeight }, padFrom: resized };
  }
  // torchvision's Resize(shorter_side): the shorter side to it, the longer one scaled and truncated.
  const shorter = prep.shorter_side ?? Math.max(targetHeight, targetWidth);
  const resized =
    width <= height
      ? { width: shorter, height: Math.max(1, Math.trunc((shorter * height) / width)) }
      : { width: Math.max(1, Math.trunc((shorter * width) / height)), height: shorter };
  const crop = {
    left: roundHalfEven((resized.width - targetWidth) / 2),
    top: roundHalfEven((resized.height - targetHeight) / 2),
    width: targetWidth,
    height: targetHeight,
  };
  return { resize: resized, crop };
}

export type PixelType = 'float32' | 'uint8';

/** Where a picture is in its request, for the error's message and details. */
export interface PictureSource {
  /** How a message names it: "the image", "instance 2". */
  name: string;
  /** JSON pointer of it in the body ("" for a raw body). */
  path: string;
  /** Sent with a media type of its own (a raw body, a form part): bytes that are no picture contradict it (415); inside JSON they are a bad value (400). */
  typed: boolean;
}

/**
 * Decodes one picture: bytes that are no JPEG, PNG, WebP or GIF are 415 when
 * their media type said they were, else 400; more than MAX_PIXELS, 413; a
 * picture that cannot be decoded (truncated, corrupt), 400. Each names the
 * picture and its path.
 */
export async function decodeImage(bytes: Buffer, prep: Preprocessing, pixelType: PixelType, source: PictureSource): Promise<Decoded> {
  const { name: at, path } = source;
  const detail = (problem: string) => [{ path, problem }];
  if (bytes.length === 0) throw new InvalidImage(`${at} is empty`, detail('is empty'));
  const format = SIGNATURES.find((s) => s.matches(bytes))?.format;
  if (format === undefined) {
    const message = `${at} is not a JPEG, PNG, WebP or GIF picture (judged by its first bytes)`;
    throw source.typed ? new UnsupportedMediaType(message, detail('is not a JPEG, PNG, WebP or GIF picture')) : new InvalidImage(message, detail('is not a JPEG, PNG, WebP or GIF picture'));
  }
  // Loaded outside the decoding's try: a missing native library is this service's fault (500), not the picture's.
  const decoder = sharp();
  const notes: string[] = [];
  let width: number;
  let height: number;
  try {
    // The header only: the size is known before a pixel is decoded.
    const meta = await decoder(bytes, { limitInputPixels: false }).metadata();
    width = meta.autoOrient?.width ?? meta.width ?? 0;
    height = meta.autoOrient?.height ?? meta.height ?? 0;
    if ((meta.pages ?? 1) > 1) notes.push(`is animated: the first of its ${meta.pages} frames was scored`);
  } catch {
    throw new InvalidImage(`${at} is a ${format.toUpperCase()} file whose header cannot be read`, detail('cannot be read'));
  }
  if (width < 1 || height < 1) throw new InvalidImage(`${at} has no pixels`, detail('has no pixels'));
  if (width * height > MAX_PIXELS) {
    throw new PayloadTooLarge(`${at} is ${width}×${height} (${width * height} pixels), more than the ${MAX_PIXELS} this API decodes; send it smaller`, detail(`has more than ${MAX_PIXELS} pixels`));
  }
  const target = plan(width, height, prep);
  if (Math.min(target.resize.width / width, target.resize.height / height) > 8) {
    notes.push(`is ${width}×${height}: upscaled to ${target.resize.width}×${target.resize.height}, so the answer may mean little`);
  }

  let pixels: Buffer;
  try {
    // ignoreIcc: the pixel values as stored, as PIL (and so every torchvision training pipeline) reads them; a colour-managed conversion would move them.
    let pipeline = decoder(bytes, { limitInputPixels: MAX_PIXELS, failOn: 'truncated', page: 0, pages: 1, ignoreIcc: true })
      .rotate()
      .flatten({ background: '#ffffff' })
      .toColourspace('srgb')
      .resize(target.resize.width, target.resize.height, { fit: 'fill', kernel: KERNELS[prep.interpolation], fastShrinkOnLoad: false });
    // shorter_side is at least the size (the kind's check), so the crop always lies inside the resized picture.
    if (target.crop) pipeline = pipeline.extract(target.crop);
    const { data, info } = await pipeline.removeAlpha().raw().toBuffer({ resolveWithObject: true });
    if (info.channels !== 3) throw new Error(`decoded to ${info.channels} channels`);
    pixels = data;
  } catch {
    throw new InvalidImage(`${at} cannot be decoded: the ${format.toUpperCase()} data is cut short or corrupt`, detail('cannot be decoded'));
  }
  return { values: toTensor(pixels, target, prep, pixelType), notes, picture: { format, width, height } };
}

/** RGB pixels (rows of [r, g, b]) into the graph's values: scaled, normalised, channels and layout as the manifest says; padding left at 0. */
function toTensor(pixels: Buffer, target: Plan, prep: Preprocessing, pixelType: PixelType): Float32Array | Uint8Array {
  const [height, width] = prep.size as [number, number];
  const pictureWidth = target.padFrom ?? width;
  const values = pixelType === 'uint8' ? new Uint8Array(3 * height * width) : new Float32Array(3 * height * width);
  const order = prep.channels === 'BGR' ? [2, 1, 0] : [0, 1, 2];
  const planar = prep.layout === 'NCHW';
  const mean = prep.mean as number[];
  const std = prep.std as number[];
  for (let c = 0; c < 3; c++) {
    const source = order[c]!;
    // mean and std are in the tensor's channel order (BGR models list theirs so).
    const m = mean[c]!;
    const s = std[c]!;
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < pictureWidth; x++) {
        const raw = pixels[(y * pictureWidth + x) * 3 + source]!;
        const index = planar ? (c * height + y) * width + x : (y * width + x) * 3 + c;
        values[index] = pixelType === 'uint8' ? raw : (raw * prep.scale - m) / s;
      }
    }
  }
  return values;
}
