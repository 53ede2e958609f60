import { readFileSync } from 'node:fs';
import path from 'node:path';

/** The README as the tests read it. */
export const readme = readFileSync(path.resolve(__dirname, '..', '..', 'README.md'), 'utf8');

/**
 * The README's text between `<!-- name` (its opening marker, which may say
 * more after the name) and `<!-- /name -->`. Throws when either is missing,
 * so a renamed marker fails the test that reads it.
 */
export function readmeBlock(name: string): string {
  const start = readme.indexOf(`<!-- ${name}`);
  const end = readme.indexOf(`<!-- /${name} -->`);
  if (start < 0 || end <= start) throw new Error(`README has no <!-- ${name} --> … <!-- /${name} --> block`);
  return readme.slice(start, end);
}

/** The body rows of the Markdown table in a README block, cells trimmed. */
export function readmeTableRows(name: string): string[][] {
  return readmeBlock(name)
    .split('\n')
    .filter((line) => line.startsWith('| ') && !line.startsWith('| ---'))
    .slice(1)
    .map((line) => line.slice(2, -2).split(' | ').map((cell) => cell.trim()));
}

/** The commands of a README block and the answer shown under each (its `# …` lines, joined). */
export function readmeExamples(name: string): { command: string; answer: string }[] {
  const examples: { command: string; answer: string[] }[] = [];
  for (const line of readmeBlock(name).split('\n')) {
    if (line.startsWith('# ')) examples.at(-1)!.answer.push(line.slice(2));
    else if (line.trim() !== '' && !line.startsWith('```') && !line.startsWith('<!--')) examples.push({ command: line, answer: [] });
  }
  return examples.map((e) => ({ command: e.command, answer: e.answer.join('\n') }));
}

/** A README answer as a pattern: its text exactly, "…" standing for any text. */
export const asPattern = (answer: string) => new RegExp(`^${answer.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/…/g, '.*')}$`, 's');
