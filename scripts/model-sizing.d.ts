// The shape of ./model-sizing.js (plain CommonJS so that the Serverless CLI
// can require it): declared here, never restated.

export const MB: number;

export const LAMBDA: {
  unzippedBytes: number;
  zippedDirectUploadBytes: number;
  imageBytes: number;
  memoryMb: { min: number; max: number };
  tmpMb: { min: number; max: number };
  initSeconds: number;
};

export const CODE_BUDGET: { unzippedBytes: number; zippedBytes: number };
export const MEMORY_RULE: { baseMb: number; perModelMb: number; headroom: number; floorMb: number; stepMb: number };
export const TMP_RULE: { perModelMb: number; marginMb: number; floorMb: number; stepMb: number };

export interface ModelNeeds {
  /** The packaged files' bytes (model.json, the ONNX file, the files the manifest lists, the baseline). */
  bytes: number;
  /** memorySize, MB. */
  memoryMb: number;
  /** ephemeralStorageSize (/tmp), MB. */
  tmpMb: number;
  /** Both within what Lambda gives a function (10,240 MB each). */
  withinLambda: boolean;
}

export interface SizedModel {
  /** "name/version". */
  label: string;
  bytes: number;
}

export function needsFor(bytes: number): ModelNeeds;
/** The files of a version folder the package carries (serverless.yml's package.patterns), sorted. */
export function packagedFiles(versionDir: string): string[];
/** What a model version folder needs. */
export function modelNeeds(versionDir: string): ModelNeeds;
export function formatNeeds(label: string, needs: ModelNeeds): string;
export function modelsIn(modelsDir: string): (SizedModel & { dir: string })[];
export function zipCheck(codeBytes: number, models: readonly SizedModel[]): { ok: boolean; totalBytes: number; modelBytes: number; message: string };
export function largestNeeds(modelsDir?: string): ModelNeeds;
export function memorySize(): number;
export function ephemeralStorageSize(): number;
