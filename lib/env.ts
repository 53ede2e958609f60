/** A positive integer setting from the environment, or the fallback when unset or malformed. */
export function positiveIntegerFromEnv(name: string, fallback: number): number {
  const configured = Number(process.env[name]);
  return Number.isInteger(configured) && configured > 0 ? configured : fallback;
}
