import path from 'node:path';

/**
 * The settings the local functions start with: the shell's, and MODELS_DIR
 * the project's own models/ when the shell gives none, so that the functions
 * read the folder itself, not the copy serverless-esbuild leaves under
 * .esbuild/.build/models (a file deleted from models/ stayed there across
 * restarts and kept being served). CAPTURE_DIR likewise defaults to the
 * project's captures/ (README, "Monitoring"), where `npm run monitor` looks.
 */
export function functionSettings(root: string, fromShell: Record<string, string>): Record<string, string> {
  return { MODELS_DIR: path.join(root, 'models'), ...fromShell, CAPTURE_DIR: localCaptureDir(root, fromShell) };
}

/** Where the local functions write captures and feedback: the shell's CAPTURE_DIR, absolute, else <root>/captures. */
export function localCaptureDir(root: string, fromShell: Record<string, string>): string {
  return fromShell.CAPTURE_DIR !== undefined ? path.resolve(fromShell.CAPTURE_DIR) : path.join(root, 'captures');
}
