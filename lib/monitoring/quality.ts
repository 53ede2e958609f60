/**
 * Live quality from joined feedback (README, "Monitoring"): accuracy, ROC AUC
 * and calibration for classifiers, MAE and RMSE for regressors, each with the
 * count it rests on.
 */

/** ROC AUC as the Mann–Whitney statistic: the chance a positive scores above a negative, ties counted half. Null without both classes. */
export function rocAuc(scores: readonly number[], positives: readonly boolean[]): number | null {
  const order = scores.map((s, i) => [s, positives[i]!] as const).sort((a, b) => a[0] - b[0]);
  let rankSum = 0;
  let pos = 0;
  for (let i = 0; i < order.length; ) {
    let j = i;
    while (j < order.length && order[j]![0] === order[i]![0]) j++;
    // Ranks i+1..j share their mean.
    const rank = (i + 1 + j) / 2;
    for (let k = i; k < j; k++) if (order[k]![1]) {
      rankSum += rank;
      pos++;
    }
    i = j;
  }
  const neg = order.length - pos;
  if (pos === 0 || neg === 0) return null;
  return (rankSum - (pos * (pos + 1)) / 2) / (pos * neg);
}

/** Macro-averaged one-vs-rest ROC AUC over the labels that have both positives and negatives. */
export function macroAuc(probabilities: readonly Record<string, number>[], actual: readonly string[], labels: readonly string[]): number | null {
  const aucs = labels
    .map((label) => rocAuc(probabilities.map((p) => p[label] ?? 0), actual.map((a) => a === label)))
    .filter((a): a is number => a !== null);
  return aucs.length === 0 ? null : aucs.reduce((a, b) => a + b, 0) / aucs.length;
}

/** Expected calibration error over ten equal-width bins of the score: Σ (n_b / n) |mean score − observed rate|. */
export function calibration(scores: readonly number[], outcomes: readonly boolean[]): { ece: number; bins: { range: string; count: number; mean_score: number; observed: number }[] } | null {
  if (scores.length === 0) return null;
  const bins = Array.from({ length: 10 }, () => ({ count: 0, score: 0, hits: 0 }));
  scores.forEach((s, i) => {
    const bin = bins[Math.min(9, Math.max(0, Math.floor(s * 10)))]!;
    bin.count++;
    bin.score += s;
    if (outcomes[i]) bin.hits++;
  });
  let ece = 0;
  const shown = [];
  for (const [b, bin] of bins.entries()) {
    if (bin.count === 0) continue;
    const mean = bin.score / bin.count;
    const observed = bin.hits / bin.count;
    ece += (bin.count / scores.length) * Math.abs(mean - observed);
    shown.push({ range: `${(b / 10).toFixed(1)}-${((b + 1) / 10).toFixed(1)}`, count: bin.count, mean_score: mean, observed });
  }
  return { ece, bins: shown };
}

export function regressionErrors(predicted: readonly number[], actual: readonly number[]): { mae: number; rmse: number } | null {
  if (predicted.length === 0) return null;
  let abs = 0;
  let sq = 0;
  predicted.forEach((p, i) => {
    const e = p - actual[i]!;
    abs += Math.abs(e);
    sq += e * e;
  });
  return { mae: abs / predicted.length, rmse: Math.sqrt(sq / predicted.length) };
}
