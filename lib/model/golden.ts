import { isPlainObject } from '../plain-object';
import { kindOf, type Manifest } from '../kinds';
import type { PredictBody } from '../kinds/kind';
import { ModelLoadError } from '../errors';
import type { CompanionFiles, GoldenCase, Tolerance } from '../manifest/base';

/**
 * The predict body a golden case stands for, as a request would bring it:
 * JSON (the kind's own; a tensor kind generates it from the case's seed),
 * or, for a case with a content_type (an image), the companion file it
 * names, as the whole body.
 */
export function goldenBody(manifest: Manifest, golden: GoldenCase, files: CompanionFiles): PredictBody {
  if (golden.content_type === undefined || golden.file === undefined) return { json: kindOf(manifest).goldenRequest(manifest, golden) };
  const bytes = files.get(golden.file);
  if (bytes === undefined) throw new ModelLoadError(`a golden case names ${golden.file}, which is not among the manifest's files`);
  return { upload: { bytes, mediaType: golden.content_type, path: '' } };
}

/**
 * The golden self-test's comparison: the answer a model gives now against the
 * one recorded when it was added. Numbers agree within absolute + relative ×
 * |recorded| (README, "Golden cases"); everything else (labels, booleans,
 * keys, lengths) must be equal. Returns where they first differ, or null.
 */
export function goldenDifference(recorded: unknown, now: unknown, tolerance: Tolerance, at = ''): string | null {
  if (typeof recorded === 'number' && typeof now === 'number') {
    const allowed = tolerance.absolute + tolerance.relative * Math.abs(recorded);
    return Math.abs(now - recorded) <= allowed ? null : `${at || '/'}: recorded ${recorded}, now ${now}`;
  }
  if (Array.isArray(recorded) || Array.isArray(now)) {
    if (!Array.isArray(recorded) || !Array.isArray(now) || recorded.length !== now.length) {
      return `${at || '/'}: recorded ${describe(recorded)}, now ${describe(now)}`;
    }
    for (let i = 0; i < recorded.length; i++) {
      const difference = goldenDifference(recorded[i], now[i], tolerance, `${at}/${i}`);
      if (difference) return difference;
    }
    return null;
  }
  if (isPlainObject(recorded) && isPlainObject(now)) {
    const keys = Object.keys(recorded).sort();
    const nowKeys = Object.keys(now).sort();
    if (keys.join('\0') !== nowKeys.join('\0')) return `${at || '/'}: recorded fields ${keys.join(', ')}, now ${nowKeys.join(', ')}`;
    for (const key of keys) {
      const difference = goldenDifference(recorded[key], now[key], tolerance, `${at}/${key}`);
      if (difference) return difference;
    }
    return null;
  }
  return Object.is(recorded, now) ? null : `${at || '/'}: recorded ${describe(recorded)}, now ${describe(now)}`;
}


function describe(value: unknown): string {
  if (Array.isArray(value)) return `${value.length} items`;
  return JSON.stringify(value)?.slice(0, 40) ?? String(value);
}

/**
 * The tolerance model:add writes: float32 graphs agree with themselves far
 * closer than this across CPUs and onnxruntime builds (~1e-7), while an
 * edited manifest or a different model moves answers by far more.
 */
export const DEFAULT_TOLERANCE = { absolute: 1e-5, relative: 1e-4 };
