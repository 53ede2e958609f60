import { onnx } from 'onnx-proto';

/**
 * What model:add needs from the ONNX protobuf that onnxruntime's metadata
 * does not give: the ZipMap nodes skl2onnx ends classifiers with, and the
 * class labels written in ai.onnx.ml classifier nodes. Read with onnx-proto
 * (the ONNX .proto compiled for protobufjs), never with hand-written parsing.
 */

export interface OnnxFile {
  producer: string;
  /** The bytes to serve: the file itself, or its rewrite without ZipMap. */
  bytes: Buffer;
  /** Set when ZipMap was replaced: what happened, in a sentence. */
  rewritten: string | null;
  /** Class labels found in the graph (ZipMap's, else a classifier node's), in probability-column order. */
  labels: (string | number)[] | null;
}

type Long = { toNumber(): number };
const toNumber = (v: number | Long): number => (typeof v === 'number' ? v : v.toNumber());
const text = (bytes: Uint8Array): string => Buffer.from(bytes).toString('utf8');

function labelsOf(node: onnx.INodeProto): (string | number)[] | null {
  for (const attribute of node.attribute ?? []) {
    if (attribute.name === 'classlabels_strings' && attribute.strings?.length) return attribute.strings.map(text);
    if ((attribute.name === 'classlabels_int64s' || attribute.name === 'classlabels_ints') && attribute.ints?.length) {
      return attribute.ints.map((v) => toNumber(v as number | Long));
    }
  }
  return null;
}

/** Throws with a user-facing reason when the bytes are not an ONNX model. */
export function readOnnxFile(bytes: Buffer): OnnxFile {
  let model: onnx.ModelProto;
  try {
    model = onnx.ModelProto.decode(bytes);
  } catch {
    throw new Error('the file is not an ONNX model (it does not decode as an ONNX ModelProto)');
  }
  const graph = model.graph;
  const nodes = graph?.node ?? [];
  const graphOutputs = graph?.output ?? [];
  if (nodes.length === 0 || graphOutputs.length === 0) {
    throw new Error('the file is not an ONNX model (no graph with nodes and outputs)');
  }
  const producer = [model.producerName, model.producerVersion].filter(Boolean).join(' ') || 'unknown exporter';
  const zipMaps = nodes.filter((n) => n.opType === 'ZipMap');
  const classifierLabels = nodes.filter((n) => n.domain === 'ai.onnx.ml').map(labelsOf).find((l) => l !== null) ?? null;
  if (zipMaps.length === 0) return { producer, bytes, rewritten: null, labels: classifierLabels };

  let labels: (string | number)[] | null = null;
  const replaced: string[] = [];
  for (const zipMap of zipMaps) {
    const probabilities = zipMap.input?.[0];
    const output = zipMap.output?.[0];
    labels ??= labelsOf(zipMap);
    // ZipMap turns the [N, classes] float tensor into a list of maps, which
    // onnxruntime-node cannot return (microsoft/onnxruntime#8007). An Identity
    // keeps the output's name and hands back the tensor itself.
    zipMap.opType = 'Identity';
    zipMap.domain = '';
    zipMap.attribute = [];
    zipMap.input = [probabilities!];
    const graphOutput = graphOutputs.find((o) => o.name === output);
    if (graphOutput) {
      graphOutput.type = onnx.TypeProto.create({
        tensorType: {
          elemType: onnx.TensorProto.DataType.FLOAT,
          shape: { dim: [{ dimParam: 'N' }, { dimValue: labels?.length ?? 0 }] },
        },
      });
      if (!labels) graphOutput.type.tensorType!.shape!.dim!.pop();
    }
    replaced.push(String(output));
  }
  const rewrittenBytes = Buffer.from(onnx.ModelProto.encode(model).finish());
  return {
    producer,
    bytes: rewrittenBytes,
    rewritten: `ZipMap replaced by Identity so that ${replaced.join(', ')} is the [N, classes] probability tensor`,
    labels: labels ?? classifierLabels,
  };
}
