import type { TensorSpec } from '../../lib/manifest/base';
import { FLOAT_DATATYPES, isBatchVector, isColumn, LABEL_DATATYPES } from '../../lib/kinds/tabular/signature';
import { shapeText } from '../../lib/tensors/shape';

/** The kind model:add picks for a graph it has not seen before, the fields that kind needs, and why. */
export interface KindChoice {
  kind: 'tabular' | 'tensor';
  reason: string;
  fields: Record<string, unknown>;
}

const isFloat = (spec: TensorSpec) => FLOAT_DATATYPES.includes(spec.datatype);
const isPerRow = (spec: TensorSpec) => isBatchVector(spec.shape, 1);

function tabularFields(outputs: readonly TensorSpec[], labels: (string | number)[] | null): { fields: Record<string, unknown>; why: string } | null {
  const probabilities = outputs.find((o) => isFloat(o) && typeof o.shape[1] === 'number' && o.shape[1] >= 2 && isBatchVector(o.shape, o.shape[1]));
  if (probabilities) {
    const classes = probabilities.shape[1] as number;
    const label = outputs.find((o) => o !== probabilities && LABEL_DATATYPES.includes(o.datatype) && isPerRow(o));
    const known = labels && labels.length === classes ? labels : null;
    return {
      fields: {
        task: 'classifier',
        labels: known ?? Array.from({ length: classes }, (_, i) => i),
        output: { ...(label ? { label: label.name } : {}), probabilities: probabilities.name },
      },
      why: `a classifier: "${probabilities.name}" holds ${classes} class probabilities${label ? `, "${label.name}" the label` : ''}; ${known ? 'class labels from the graph' : 'no class labels in the graph, so they are the column numbers'}`,
    };
  }
  const value = outputs.length === 1 && isFloat(outputs[0]!) && isPerRow(outputs[0]!) ? outputs[0]! : undefined;
  if (value) return { fields: { task: 'regressor', output: { value: value.name } }, why: `a regressor: one float output "${value.name}" with one value per row` };
  return null;
}

export function chooseKind(inputs: readonly TensorSpec[], outputs: readonly TensorSpec[], labels: (string | number)[] | null): KindChoice {
  if (inputs.every((i) => isColumn(i.shape))) {
    const tabular = tabularFields(outputs, labels);
    if (tabular) {
      return {
        kind: 'tabular',
        reason: `every input is one column [N, 1] (one input per column, as skl2onnx exports pipelines), and ${tabular.why}`,
        fields: tabular.fields,
      };
    }
    return { kind: 'tensor', reason: 'every input is one column [N, 1], but the outputs are neither class probabilities nor one value per row', fields: {} };
  }
  const other = inputs.find((i) => !isColumn(i.shape))!;
  return { kind: 'tensor', reason: `input "${other.name}" is ${shapeText(other.shape)}, not one column [N, 1]`, fields: {} };
}
