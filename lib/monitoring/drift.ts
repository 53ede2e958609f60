import chisquareCdf from '@stdlib/stats-base-dists-chisquare-cdf';
import { categoricalTotal, numericTotal, type CategoricalSketch, type NumericSketch } from './sketch';

/**
 * How far a window's distribution moved from the baseline's, over the same
 * bins (README, "Monitoring"): the population stability index with its
 * conventional bands, and a test statistic with its p-value —
 * Kolmogorov–Smirnov for numbers, chi-square for categories.
 */

/** PSI's conventional bands: under 0.1 stable, 0.1 to 0.25 a moderate shift, over 0.25 drift. */
export const PSI_MODERATE = 0.1;
export const PSI_DRIFT = 0.25;
export type DriftStatus = 'stable' | 'moderate' | 'drift' | 'no data';

/** An empty bin's share, so that PSI's logarithm stays finite (the usual floor). */
const FLOOR = 1e-4;

export function statusOf(psi: number | null): DriftStatus {
  if (psi === null) return 'no data';
  return psi > PSI_DRIFT ? 'drift' : psi >= PSI_MODERATE ? 'moderate' : 'stable';
}

/** Σ (a − b) ln(a / b) over the bins' shares. Null when either side has no records. */
export function psi(baseline: readonly number[], current: readonly number[]): number | null {
  const nb = baseline.reduce((x, y) => x + y, 0);
  const nc = current.reduce((x, y) => x + y, 0);
  if (nb === 0 || nc === 0) return null;
  let total = 0;
  for (let i = 0; i < baseline.length; i++) {
    const b = Math.max(baseline[i]! / nb, FLOOR);
    const c = Math.max((current[i] ?? 0) / nc, FLOOR);
    total += (c - b) * Math.log(c / b);
  }
  return total;
}

/** The bins of a numeric sketch, missing last, as PSI compares them. */
export const numericBins = (s: NumericSketch): number[] => [...s.counts, s.missing];

/** The bins of a categorical sketch over the baseline's categories, then other and missing. */
export function categoricalBins(s: CategoricalSketch, categories: readonly string[]): number[] {
  return [...categories.map((c) => s.counts[c] ?? 0), s.other, s.missing];
}

/**
 * Kolmogorov's distribution's survival function Q(λ) = 2 Σ (−1)^(k−1) e^(−2k²λ²),
 * with Stephens' small-sample correction of λ (as in Numerical Recipes'
 * probks). Written here: the JavaScript statistics packages test one
 * sample against a named distribution, not two binned samples.
 */
function kolmogorovQ(lambda: number): number {
  if (lambda < 0.2) return 1;
  let sum = 0;
  for (let k = 1; k <= 100; k++) {
    const term = 2 * (k % 2 === 1 ? 1 : -1) * Math.exp(-2 * k * k * lambda * lambda);
    sum += term;
    if (Math.abs(term) < 1e-12) break;
  }
  return Math.min(1, Math.max(0, sum));
}

/**
 * Two-sample Kolmogorov–Smirnov on binned counts: the largest gap between
 * the two empirical distribution functions at the bin edges (a lower bound
 * of the exact statistic on raw values), and its asymptotic p-value.
 */
export function ksTest(baseline: NumericSketch, current: NumericSketch): { statistic: number; p_value: number } | null {
  const nb = baseline.counts.reduce((a, b) => a + b, 0);
  const nc = current.counts.reduce((a, b) => a + b, 0);
  if (nb === 0 || nc === 0) return null;
  let fb = 0;
  let fc = 0;
  let d = 0;
  for (let i = 0; i < baseline.counts.length; i++) {
    fb += baseline.counts[i]! / nb;
    fc += (current.counts[i] ?? 0) / nc;
    d = Math.max(d, Math.abs(fb - fc));
  }
  const ne = Math.sqrt((nb * nc) / (nb + nc));
  return { statistic: d, p_value: kolmogorovQ((ne + 0.12 + 0.11 / ne) * d) };
}

/** Chi-square test of homogeneity on the 2 × k table of the two samples' bins (bins empty in both dropped). */
export function chiSquareTest(baseline: readonly number[], current: readonly number[]): { statistic: number; dof: number; p_value: number } | null {
  const nb = baseline.reduce((x, y) => x + y, 0);
  const nc = current.reduce((x, y) => x + y, 0);
  if (nb === 0 || nc === 0) return null;
  const n = nb + nc;
  let statistic = 0;
  let columns = 0;
  for (let i = 0; i < baseline.length; i++) {
    const column = baseline[i]! + (current[i] ?? 0);
    if (column === 0) continue;
    columns++;
    for (const [observed, rowTotal] of [[baseline[i]!, nb], [current[i] ?? 0, nc]] as const) {
      const expected = (rowTotal * column) / n;
      statistic += ((observed - expected) ** 2) / expected;
    }
  }
  const dof = columns - 1;
  return { statistic, dof, p_value: dof < 1 ? 1 : 1 - chisquareCdf(statistic, dof) };
}

export const sketchCount = { numeric: numericTotal, categorical: categoricalTotal };
