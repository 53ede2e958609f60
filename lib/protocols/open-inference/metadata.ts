import { describe } from '../../dataplane/describe';
import { readiness } from '../../dataplane/readiness';
import type { Answer } from '../../http/dispatch';
import { jsonResponse } from '../../http/response';
import type { TensorSpec } from '../../manifest/base';
import { protocolInputsOf } from '../../kinds';
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

export function serverMetadata(): Answer {
  return { response: jsonResponse(200, { name: settings.serviceName(), version: settings.serviceVersion(), extensions: [] }) };
}

/**
 * Every input and output of the graph, dynamic dimensions as -1, and whether
 * the version is ready (as /ready says, with the reason when not); without a
 * version, the primary one. 503 for an unusable manifest: there is no graph
 * to describe.
 */
export async function modelMetadata(name: string, version?: string): Promise<Answer> {
  const { entry, manifest, facts } = describe(name, version);
  const { ready, reason } = await readiness(name, version);
  const body = {
    name: entry.name,
    versions: entry.versions,
    platform: PLATFORM,
    inputs: protocolInputsOf(manifest).map(metadataTensor),
    outputs: manifest.onnx.outputs.map(metadataTensor),
    ready,
    ...(ready ? {} : { reason }),
  };
  return { response: jsonResponse(200, body), facts };
}
