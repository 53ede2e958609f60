let cold = true;

/**
 * True for the first call in this container, false after. Powertools' own
 * cold-start flag only works inside Lambda (it reads
 * AWS_LAMBDA_INITIALIZATION_TYPE), and /health must report it locally too.
 */
export function takeColdStart(): boolean {
  const wasCold = cold;
  cold = false;
  return wasCold;
}
