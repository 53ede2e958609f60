/** bench/ablations.json, written by `npm run bench:ablations` (bench/ablations.ts) and shown in BENCHMARKS.md. */
export interface Ablations {
  measured: string;
  machine: string;
  /** The taskset command every process ran under, or null. */
  pinned: string | null;
  /** Fresh processes per row. */
  runs: number;
  /** The predict function's cold start, one change per row against the first (as shipped). */
  handler: { name: string; shipped: boolean; why: string; totalMs: number; moduleLoadMs: number; sessionMs: number; firstCallMs: number; processMs: number; peakRssMb: number }[];
  /** onnxruntime alone on the churn model, one session-option change per row against the first (as shipped). */
  session: { name: string; requireMs: number; firstSessionMs: number; secondSessionMs: number; firstRunMs: number; peakRssMb: number }[];
}
