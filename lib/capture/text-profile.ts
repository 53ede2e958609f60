/**
 * A text field's profile (README, "Monitoring"): its length in characters
 * and its vocabulary share, the share of its words that the baseline's
 * vocabulary holds. Messages about a topic the model never saw are made of
 * words its training data did not have, whatever their length.
 */

/** Words as the profile counts them: runs of letters or digits, lower-cased. */
export function words(text: string): string[] {
  return text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];
}

/** A baseline keeps at most this many words of a field's vocabulary, the most frequent ones (a few tens of kilobytes). */
export const MAX_VOCABULARY = 5000;

/** The share of a text's words that are in the vocabulary; null for a text without words. */
export function vocabularyShare(text: string, vocabulary: ReadonlySet<string>): number | null {
  const found = words(text);
  if (found.length === 0) return null;
  let known = 0;
  for (const w of found) if (vocabulary.has(w)) known++;
  return known / found.length;
}

/** The MAX_VOCABULARY most frequent words of the texts (ties by the word, so a baseline is reproducible). */
export function vocabularyOf(texts: Iterable<string>): string[] {
  const counts = new Map<string, number>();
  for (const text of texts) for (const w of words(text)) counts.set(w, (counts.get(w) ?? 0) + 1);
  return [...counts.entries()]
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
    .slice(0, MAX_VOCABULARY)
    .map(([w]) => w)
    .sort();
}

/** A text's figures as capture lines and baselines hold them. */
export interface TextFeatures {
  length: number;
  vocabulary_share: number | null;
}

export function textFeatures(text: string, vocabulary: ReadonlySet<string> | undefined): TextFeatures {
  return { length: [...text].length, vocabulary_share: vocabulary ? vocabularyShare(text, vocabulary) : null };
}
