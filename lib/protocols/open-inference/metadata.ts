import { noteModel } from '../../observability/request-facts';
import { primaryVersion } from '../../rollout/route';
import { findManifest } from '../../repository/model-repository';
import type { TensorSpec } from '../../manifest/base';
import { settings } from '../../settings';
import { protocolShape } from '../../tensors/shape';

/**
 * The Open Inference Protocol (KServe V2) over REST, as specified in
 * kserve/open-inference-protocol, specification/protocol/inference_rest.md:
 * server and model metadata, from the manifests alone.
 */

/** "onnxruntime_onnx" as KServe and Triton name the backend (the spec lists platform names as information only). */
export const PLATFORM = 'onnxruntime_onnx';

const metadataTensor = (spec: TensorSpec) => ({ name: spec.name, datatype: spec.datatype, shape: protocolShape(spec.shape) });

export function serverMetadata(): Record<string, unknown> {
  return { name: settings.serviceName(), version: settings.serviceVersion(), extensions: [] };
}

/** Every input and output of the graph, dynamic dimensions as -1. 503 for an unusable manifest. */
export function modelMetadata(name: string, version?: string): Record<string, unknown> {
  // Without a version: the one the traffic split serves most (the newest without a traffic file).
  const { entry, manifest } = findManifest(name, version ?? primaryVersion(name).version);
  noteModel(entry.name, entry.version);
  return {
    name: entry.name,
    versions: entry.versions,
    platform: PLATFORM,
    inputs: manifest.onnx.inputs.map(metadataTensor),
    outputs: manifest.onnx.outputs.map(metadataTensor),
  };
}
