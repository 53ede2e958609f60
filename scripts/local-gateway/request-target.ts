// The path and query of an HTTP request's target, as API Gateway routes it.
// Not through WHATWG URL's pathname: that resolves "." and ".." segments,
// %2e%2e included, so /models/churn/versions/%2e%2e/%2e%2e/intent/predict
// would reach intent's route, where API Gateway matches the segments as sent
// (the version is then ".."). Its %-escapes are kept: matchTemplate decodes
// path parameters itself.

export interface RequestTarget {
  /** The raw path, from its first "/" up to "?" or "#". */
  path: string;
  search: URLSearchParams;
}

/**
 * The target of a request line in origin form (`/local/health?x=1`) or
 * absolute form (`http://127.0.0.1:3000/local/health`), or null for one API
 * Gateway could not route: another form (`*`, `host:443`), or an absolute
 * URL no parser accepts (`http://[::1/local/health`).
 */
export function requestTarget(raw: string | undefined): RequestTarget | null {
  if (raw === undefined) return null;
  let rest = raw;
  if (!raw.startsWith('/')) {
    const scheme = /^[a-z][a-z0-9+.-]*:\/\/[^/?#]*/i.exec(raw);
    if (!scheme) return null;
    try {
      new URL(raw); // only to refuse what no client could have meant
    } catch {
      return null;
    }
    rest = raw.slice(scheme[0].length) || '/';
    if (!rest.startsWith('/')) rest = `/${rest}`;
  }
  const end = rest.search(/[?#]/);
  const path = end < 0 ? rest : rest.slice(0, end);
  const query = end < 0 || rest[end] === '#' ? '' : rest.slice(end + 1).split('#')[0]!;
  return { path, search: new URLSearchParams(query) };
}
