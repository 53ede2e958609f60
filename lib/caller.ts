/**
 * Who a request is from, for a sticky traffic split and for joining feedback
 * to inferences (README, "Access"): a customer key made by `npm run keys`
 * carries its customer's id in its value, `mlk_<customer id>_<32 random
 * letters and digits>`, so every key a customer is given, rotated ones too,
 * stands for the same caller without any lookup. Any other key stands for
 * itself: API Gateway's id of it. The value is only matched here; it is
 * never kept, returned or logged.
 */
const CUSTOMER_KEY = /^mlk_([0-9a-z]{10})_[A-Za-z0-9]{32}$/;

/** A customer key's value for a customer id (10 lower-case letters and digits) and 32 random characters. */
export function customerKeyValue(customerId: string, secret: string): string {
  const value = `mlk_${customerId}_${secret}`;
  if (!CUSTOMER_KEY.test(value)) throw new Error('a customer key is mlk_, a 10-character customer id, _ and 32 letters or digits');
  return value;
}

/** The caller's id: the customer's for a customer key, else the key's own (API Gateway's apiKeyId), else none. */
export function callerId(apiKeyHeader: string | undefined | null, apiKeyId: string | undefined | null): string | undefined {
  const customer = typeof apiKeyHeader === 'string' ? CUSTOMER_KEY.exec(apiKeyHeader)?.[1] : undefined;
  return customer ?? apiKeyId ?? undefined;
}
