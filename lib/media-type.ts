/**
 * A Content-Type's media type, lowercased and without parameters
 * ("Image/PNG; q=1" → "image/png"), or undefined when there is none or it is
 * not type/subtype.
 */
export function mediaTypeOf(contentType: string | undefined): string | undefined {
  if (contentType === undefined) return undefined;
  const essence = contentType.split(';', 1)[0]!.trim().toLowerCase();
  return /^[a-z0-9!#$&^_.+-]+\/[a-z0-9!#$&^_.+-]+$/.test(essence) ? essence : undefined;
}

/** Whether a media type matches a pattern: exact, "type/*" or "*\/*" (as API Gateway's binaryMediaTypes and Accept ranges match). */
export function matchesMediaType(mediaType: string, pattern: string): boolean {
  const [type, subtype] = pattern.toLowerCase().split('/');
  const [actualType] = mediaType.split('/');
  if (type === '*' && subtype === '*') return true;
  if (subtype === '*') return type === actualType;
  return pattern.toLowerCase() === mediaType;
}
