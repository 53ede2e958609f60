/**
 * Class labels from a file as exporters and users keep them: one per line
 * (ImageNet's synset files, torchvision's categories), a JSON list, or a
 * Hugging Face config.json's id2label ({"0": "cat", ...}, in index order).
 * Returns the labels, or the problem.
 */
export function parseLabels(text: string): string[] | { problem: string } {
  const trimmed = text.replace(/^\uFEFF/, '').trim();
  if (trimmed.startsWith('[') || trimmed.startsWith('{')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(trimmed);
    } catch {
      return { problem: 'starts like JSON but is not valid JSON' };
    }
    if (Array.isArray(parsed)) {
      return parsed.every((l) => typeof l === 'string' || typeof l === 'number') && parsed.length > 0
        ? parsed.map(String)
        : { problem: 'is a JSON list, but not a non-empty list of strings' };
    }
    const id2label = (parsed as { id2label?: unknown }).id2label;
    if (id2label === null || typeof id2label !== 'object' || Array.isArray(id2label)) return { problem: 'is a JSON object without an "id2label" object' };
    return id2labelList(id2label);
  }
  const lines = trimmed.split(/\r?\n/).map((l) => l.trim());
  if (lines.length === 0 || lines.some((l) => l === '')) return { problem: 'must hold one label per line, with no blank line' };
  return lines;
}

/**
 * A Hugging Face config.json's id2label ({"0": "cat", "1": "dog"}) as a
 * list in index order: the keys exactly "0" to "n-1", each naming a string;
 * or the problem. (The image kind's labels files, and model:add's text
 * classifiers.)
 */
export function id2labelList(map: unknown): string[] | { problem: string } {
  if (map === null || typeof map !== 'object' || Array.isArray(map)) return { problem: 'id2label must be an object' };
  const entries = map as Record<string, unknown>;
  const count = Object.keys(entries).length;
  const labels: string[] = [];
  for (let i = 0; i < count; i++) {
    const label = Object.hasOwn(entries, String(i)) ? entries[String(i)] : undefined;
    if (typeof label !== 'string') return { problem: `id2label must map 0..${count - 1} to strings; it has no string for "${i}"` };
    labels.push(label);
  }
  return labels;
}
