import { emptyPrediction, type Baseline, type FieldBaseline, type PredictionBaseline } from './baseline';
import type { InferenceLine } from '../capture/capture-line';
import { categoricalBins, chiSquareTest, ksTest, numericBins, psi, statusOf } from './drift';
import type { DistributionDrift, FeatureReport } from './report';
import { addCategory, addNumber, emptyCategorical, emptyNumeric, meanOf, type CategoricalSketch, type NumericSketch } from './sketch';

/**
 * One model version's captures in a window, counted into the bins of its
 * baseline (./sketch.ts): memory is the baseline's size, whatever the
 * number of records read.
 */

type FieldWindow =
  | { type: 'numeric'; field: Extract<FieldBaseline, { type: 'numeric' }>; sketch: NumericSketch }
  | { type: 'categorical'; field: Extract<FieldBaseline, { type: 'categorical' }>; sketch: CategoricalSketch }
  | { type: 'text'; field: Extract<FieldBaseline, { type: 'text' }>; length: NumericSketch; share: NumericSketch };

function fieldWindow(field: FieldBaseline): FieldWindow {
  switch (field.type) {
    case 'numeric':
      return { type: 'numeric', field, sketch: emptyNumeric(field.sketch.edges) };
    case 'categorical':
      return { type: 'categorical', field, sketch: emptyCategorical(Object.keys(field.sketch.counts)) };
    case 'text':
      return { type: 'text', field, length: emptyNumeric(field.length.edges), share: emptyNumeric(field.vocabulary_share.edges) };
  }
}

const fmt = (x: number) => String(Math.round(x * 1000) / 1000);

function numericLabels(edges: readonly number[]): string[] {
  if (edges.length === 0) return ['all', 'missing'];
  return [`≤ ${fmt(edges[0]!)}`, ...edges.slice(1).map((e, i) => `${fmt(edges[i]!)} – ${fmt(e)}`), `> ${fmt(edges[edges.length - 1]!)}`, 'missing'];
}

const shares = (bins: readonly number[]) => {
  const n = bins.reduce((a, b) => a + b, 0);
  return bins.map((b) => (n === 0 ? 0 : b / n));
};

export function numericDrift(baseline: NumericSketch, current: NumericSketch): DistributionDrift {
  const b = numericBins(baseline);
  const c = numericBins(current);
  const value = psi(b, c);
  const test = ksTest(baseline, current);
  return {
    psi: value,
    status: statusOf(value),
    test: test && { name: 'ks', ...test },
    count: current.counts.reduce((x, y) => x + y, 0),
    missing: current.missing,
    histogram: { bins: numericLabels(baseline.edges), baseline: shares(b), current: shares(c) },
  };
}

export function categoricalDrift(baseline: CategoricalSketch, current: CategoricalSketch): DistributionDrift {
  const categories = Object.keys(baseline.counts);
  const b = categoricalBins(baseline, categories);
  const c = categoricalBins(current, categories);
  const value = psi(b, c);
  const test = chiSquareTest(b, c);
  return {
    psi: value,
    status: statusOf(value),
    test: test && { name: 'chi-square', ...test },
    count: c.reduce((x, y) => x + y, 0) - current.missing,
    missing: current.missing,
    histogram: { bins: [...categories, 'other', 'missing'], baseline: shares(b), current: shares(c) },
  };
}

/** The larger of two PSIs, null only when both are. */
const larger = (a: number | null, b: number | null) => (a === null ? b : b === null ? a : Math.max(a, b));

export class VersionWindow {
  records = 0;
  private readonly fields: FieldWindow[];
  private readonly prediction: PredictionBaseline | undefined;

  constructor(
    readonly model: string,
    readonly version: string,
    readonly baseline: Baseline | undefined,
  ) {
    this.fields = (baseline?.fields ?? []).map(fieldWindow);
    this.prediction = baseline ? emptyPrediction(baseline.prediction) : undefined;
  }

  add(line: InferenceLine): void {
    this.records++;
    for (const w of this.fields) {
      const name = w.field.name;
      if (w.type === 'text') {
        const features = line.features?.[name];
        addNumber(w.length, features?.length);
        addNumber(w.share, features?.vocabulary_share ?? undefined);
      } else if (w.type === 'numeric') addNumber(w.sketch, line.input[name]);
      else addCategory(w.sketch, line.input[name]);
    }
    const p = this.prediction;
    if (p === undefined) return;
    p.count++;
    if (p.score) addNumber(p.score, line.prediction?.score);
    if (p.labels) addCategory(p.labels, line.prediction?.label);
    if (p.value) addNumber(p.value, line.prediction?.value);
  }

  features(): FeatureReport[] {
    return this.fields.map((w): FeatureReport => {
      const { name } = w.field;
      if (w.type === 'numeric') return { name, type: 'numeric', ...numericDrift(w.field.sketch, w.sketch) };
      if (w.type === 'categorical') return { name, type: 'categorical', ...categoricalDrift(w.field.sketch, w.sketch) };
      const length = numericDrift(w.field.length, w.length);
      const share = numericDrift(w.field.vocabulary_share, w.share);
      const worst = (share.psi ?? -1) >= (length.psi ?? -1) ? share : length;
      const value = larger(length.psi, share.psi);
      return {
        name,
        type: 'text',
        ...worst,
        psi: value,
        status: statusOf(value),
        parts: { length, vocabulary_share: { ...share, mean: { baseline: meanOf(w.field.vocabulary_share), current: meanOf(w.share) } } },
      };
    });
  }

  predictionDrift(): (DistributionDrift & { labels?: DistributionDrift }) | null {
    const b = this.baseline?.prediction;
    const c = this.prediction;
    if (!b || !c) return null;
    if (b.value && c.value) return numericDrift(b.value, c.value);
    if (!b.score || !c.score) return null;
    const score = numericDrift(b.score, c.score);
    const labels = b.labels && c.labels ? categoricalDrift(b.labels, c.labels) : undefined;
    const value = larger(score.psi, labels?.psi ?? null);
    return { ...score, psi: value, status: statusOf(value), ...(labels ? { labels } : {}) };
  }
}
