import type { Manifest } from '../manifest';
import { binaryClassification } from './binary-classification';
import type { Task } from './task';
import { textClassification } from './text-classification';

export function createTask(manifest: Manifest): Task {
  return manifest.task === 'binary-classification' ? binaryClassification(manifest) : textClassification(manifest);
}
