/** Longest client-sent text echoed back in a message: a 1 MB key or value is not returned whole. */
const MAX_ECHO = 64;

export function shorten(text: string, max = MAX_ECHO): string {
  return text.length > max ? `${text.slice(0, max)}…` : text;
}
