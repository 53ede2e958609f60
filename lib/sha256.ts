import { createHash } from 'node:crypto';

/** The sha256 of bytes or a text, as lower-case hex: what manifests record and capture summaries carry. */
export const sha256Hex = (data: string | Buffer): string => createHash('sha256').update(data).digest('hex');
