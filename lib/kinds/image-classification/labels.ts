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
    const entries = Object.entries(id2label as Record<string, unknown>);
    const labels: string[] = [];
    for (const [id, label] of entries) {
      const index = Number(id);
      if (!Number.isInteger(index) || index < 0 || index >= entries.length || typeof label !== 'string') {
        return { problem: `id2label must map 0..${entries.length - 1} to strings; it has "${id}"` };
      }
      labels[index] = label;
    }
    return labels.length === entries.length && labels.every((l) => l !== undefined) ? labels : { problem: 'id2label skips an index' };
  }
  const lines = trimmed.split(/\r?\n/).map((l) => l.trim());
  if (lines.length === 0 || lines.some((l) => l === '')) return { problem: 'must hold one label per line, with no blank line' };
  return lines;
}
