export interface Pricing {
  region: string;
  date: string;
  source: string;
  lambda: { perGbSecond: { x86_64: number; arm64: number }; perMillionRequests: number; billingGranularityMs: number };
  apiGateway: { restPerMillionRequests: number };
  /** Standard workflows: per 1,000 state transitions (batch jobs, bench/batch-cost.ts). */
  stepFunctions: { perThousandStandardTransitions: number };
  /** S3 Standard: per 1,000 GET-class (GET, HEAD) and PUT-class (PUT, POST, LIST, multipart) requests. */
  s3: { perThousandGet: number; perThousandPut: number };
}

export interface Cost {
  memoryMb: number;
  billedMs: number;
  /** Dollars per million warm predictions, Lambda compute + requests + API Gateway. */
  x86_64: number;
  arm64: number;
  apiGatewayShare: number;
}

/**
 * Dollars per million warm predictions at the configured memory size, from
 * the measured handler duration rounded up to Lambda's billing granularity.
 * arm64 is priced with the x86_64 duration: it was not measured here.
 */
export function costPerMillion(pricing: Pricing, memoryMb: number, durationMs: number): Cost {
  const step = pricing.lambda.billingGranularityMs;
  const billedMs = Math.max(step, Math.ceil(durationMs / step) * step);
  const gbSeconds = (memoryMb / 1024) * (billedMs / 1000) * 1e6;
  const fixed = pricing.lambda.perMillionRequests + pricing.apiGateway.restPerMillionRequests;
  const x86_64 = gbSeconds * pricing.lambda.perGbSecond.x86_64 + fixed;
  return {
    memoryMb,
    billedMs,
    x86_64,
    arm64: gbSeconds * pricing.lambda.perGbSecond.arm64 + fixed,
    apiGatewayShare: pricing.apiGateway.restPerMillionRequests / x86_64,
  };
}
