import Negotiator from 'negotiator';
import { NotAcceptable } from '../errors';

/**
 * The media type to answer in, of those a route can give, as the request's
 * Accept prefers it (RFC 9110 negotiation, by the negotiator package); 406
 * naming them when Accept admits none. No Accept admits anything: the first,
 * without parsing, on most requests' path.
 */
export function negotiateMediaType<T extends string>(accept: string | undefined, offered: readonly T[]): T {
  if (accept === undefined) return offered[0]!;
  const chosen = new Negotiator({ headers: { accept } }).mediaType([...offered]);
  const found = offered.find((type) => type === chosen);
  if (found === undefined) throw new NotAcceptable(`Accept admits no answer format of this route: ${offered.join(' or ')}`);
  return found;
}
