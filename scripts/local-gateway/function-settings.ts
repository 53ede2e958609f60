import path from 'node:path';

/**
 * The settings the local functions start with: the shell's, and MODELS_DIR
 * the project's own models/ when the shell gives none, so that the functions
 * read the folder itself, not the copy serverless-esbuild leaves under
 * .esbuild/.build/models (a file deleted from models/ stayed there across
 * restarts and kept being served).
 */
export function functionSettings(root: string, fromShell: Record<string, string>): Record<string, string> {
  return { MODELS_DIR: path.join(root, 'models'), ...fromShell };
}
