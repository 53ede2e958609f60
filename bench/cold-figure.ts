/** One kind of cold start of ours: medians over fresh processes (bench/probes/cold.js); the tabular rows, the image rows and the ablations share it. */
export interface ColdFigure {
  moduleLoadMs: number;
  /** From the end of module loading to the last model becoming ready (0 when the first answer needs no model). */
  sessionMs: number;
  firstCallMs: number;
  totalMs: number;
  /** Spawn to the first answer, on the clock all processes share. */
  spawnToAnswerMs: number;
  /** Spawn to exit, timed by the parent. */
  processMs: number;
  peakRssMb: number;
  /** The golden self-tests of the models loaded, within sessionMs. */
  goldenMs: number;
  /** Schemas compiled at run time rather than found precompiled (the most in any run). */
  compiledSchemas: number;
}
