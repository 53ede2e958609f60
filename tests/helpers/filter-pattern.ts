/**
 * An evaluator of CloudWatch Logs JSON filter patterns, for the subset this
 * project's templates use. It stands in for CloudWatch's own matcher, which
 * cannot run here (no AWS account, and AWS publishes no matcher to run
 * offline): tests read a compiled template's FilterPattern and ask which log
 * lines it lets through. It follows CloudWatch's documented semantics for that
 * subset; it is not CloudWatch, so a test passing on it shows what the pattern
 * means as documented, not what the service was seen to do.
 *
 * The subset:
 *   pattern    := "{" expression "}"
 *   expression := term ("||" term)*        (&& binds tighter than ||)
 *   term       := factor ("&&" factor)*
 *   factor     := "(" expression ")" | selector "=" value
 *   selector   := "$" ("." name)+           (name: letters, digits, _)
 *   value      := a double-quoted string without "*" | a number
 * Anything else (!=, <, >, wildcards, IS NULL, arrays, unquoted words, text
 * patterns) throws, so a pattern outside the subset fails its test instead of
 * matching by accident.
 *
 * Matching: a log event matches only if its whole message is a JSON object;
 * a selector that names a missing field makes its comparison false; a quoted
 * value equals only a string field with exactly that text (case-sensitive);
 * a number equals only a numeric field of that value.
 */

type Node =
  | { kind: 'or' | 'and'; left: Node; right: Node }
  | { kind: 'equals'; path: string[]; value: string | number };

const TOKEN = /\s*(\{|\}|\(|\)|&&|\|\||=|\$(?:\.[A-Za-z0-9_]+)+|"(?:[^"\\]|\\.)*"|-?\d+(?:\.\d+)?)/y;

function tokenize(pattern: string): string[] {
  const tokens: string[] = [];
  TOKEN.lastIndex = 0;
  let at = 0;
  while (at < pattern.length) {
    if (/^\s*$/.test(pattern.slice(at))) break;
    TOKEN.lastIndex = at;
    const match = TOKEN.exec(pattern);
    if (!match) throw new Error(`filter pattern outside the supported subset at ${at}: ${JSON.stringify(pattern.slice(at))}`);
    tokens.push(match[1]!);
    at = TOKEN.lastIndex;
  }
  return tokens;
}

/** Parses a pattern of the subset; throws on anything else. */
export function parseFilterPattern(pattern: string): Node {
  const tokens = tokenize(pattern);
  let i = 0;
  const peek = () => tokens[i];
  const take = (expected?: string) => {
    const token = tokens[i++];
    if (token === undefined || (expected !== undefined && token !== expected)) throw new Error(`filter pattern: expected ${expected ?? 'more'} at token ${i - 1} of ${JSON.stringify(pattern)}`);
    return token;
  };
  const expression = (): Node => {
    let left = term();
    while (peek() === '||') {
      take();
      left = { kind: 'or', left, right: term() };
    }
    return left;
  };
  const term = (): Node => {
    let left = factor();
    while (peek() === '&&') {
      take();
      left = { kind: 'and', left, right: factor() };
    }
    return left;
  };
  const factor = (): Node => {
    if (peek() === '(') {
      take('(');
      const inner = expression();
      take(')');
      return inner;
    }
    const selector = take();
    if (!selector.startsWith('$.')) throw new Error(`filter pattern: expected a selector, got ${JSON.stringify(selector)}`);
    take('=');
    const literal = take();
    let value: string | number;
    if (literal.startsWith('"')) {
      value = JSON.parse(literal) as string;
      if (value.includes('*')) throw new Error('filter pattern: wildcards are outside the supported subset');
    } else if (/^-?\d/.test(literal)) value = Number(literal);
    else throw new Error(`filter pattern: expected a value, got ${JSON.stringify(literal)}`);
    return { kind: 'equals', path: selector.slice(2).split('.'), value };
  };
  take('{');
  const root = expression();
  take('}');
  if (i !== tokens.length) throw new Error(`filter pattern: unexpected ${JSON.stringify(tokens[i])} after the closing brace`);
  return root;
}

function evaluate(node: Node, event: Record<string, unknown>): boolean {
  switch (node.kind) {
    case 'or':
      return evaluate(node.left, event) || evaluate(node.right, event);
    case 'and':
      return evaluate(node.left, event) && evaluate(node.right, event);
    case 'equals': {
      let field: unknown = event;
      for (const name of node.path) {
        if (typeof field !== 'object' || field === null || Array.isArray(field) || !Object.hasOwn(field, name)) return false;
        field = (field as Record<string, unknown>)[name];
      }
      return typeof node.value === 'string' ? field === node.value : typeof field === 'number' && field === node.value;
    }
  }
}

/** Whether a log event with this message matches the pattern (see the file's comment for the subset and its semantics). */
export function matchesFilterPattern(pattern: string, message: string): boolean {
  const root = parseFilterPattern(pattern);
  let event: unknown;
  try {
    event = JSON.parse(message);
  } catch {
    return false;
  }
  if (typeof event !== 'object' || event === null || Array.isArray(event)) return false;
  return evaluate(root, event as Record<string, unknown>);
}
