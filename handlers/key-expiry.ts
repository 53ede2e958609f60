import { APIGatewayClient, GetApiKeysCommand, UpdateApiKeyCommand } from '@aws-sdk/client-api-gateway';
import { logger } from '../lib/logger';

/**
 * The tag `npm run keys -- rotate` puts on a deployed stage's old key: the
 * ISO time its grace ends (scripts/keys/naming.ts names the same tag).
 */
export const EXPIRES_TAG = 'expires-at';

/** What the schedule sends (lib/http/routes.js, `scheduled`): the name every customer key of the stage starts with. */
export interface KeyExpiryEvent {
  keyNamePrefix: string;
}

export interface ExpiryRun {
  /** Customer keys of the stage that were looked at. */
  checked: number;
  disabled: { keyId: string; customer: string | null; expired: string }[];
  /** Enabled keys whose expires-at tag is not a time: left as they are. */
  unreadable: string[];
}

/**
 * Disables every enabled customer key of the stage whose expires-at time has
 * passed (README, "Access": rotation on a deployed stage). Keys are listed
 * without their values (includeValues=false): none is ever in this
 * function's memory or logs.
 */
export async function disableExpiredKeys(client: APIGatewayClient, prefix: string, now: number): Promise<ExpiryRun> {
  const run: ExpiryRun = { checked: 0, disabled: [], unreadable: [] };
  let position: string | undefined;
  do {
    const page = await client.send(new GetApiKeysCommand({ nameQuery: prefix, includeValues: false, limit: 500, position }));
    position = page.position;
    for (const key of page.items ?? []) {
      if (!key.id || !key.name?.startsWith(prefix)) continue;
      run.checked += 1;
      const expires = key.tags?.[EXPIRES_TAG];
      if (!key.enabled || expires === undefined) continue;
      const at = Date.parse(expires);
      if (Number.isNaN(at)) {
        run.unreadable.push(key.id);
        continue;
      }
      if (at > now) continue;
      await client.send(new UpdateApiKeyCommand({ apiKey: key.id, patchOperations: [{ op: 'replace', path: '/enabled', value: 'false' }] }));
      run.disabled.push({ keyId: key.id, customer: key.tags?.customer ?? null, expired: expires });
    }
  } while (position);
  return run;
}

/** One run: the event checked, the keys disabled, one log line (key ids and customers, never a value). */
export async function expireKeys(event: KeyExpiryEvent, now: number, apiGateway: APIGatewayClient): Promise<ExpiryRun> {
  if (typeof event?.keyNamePrefix !== 'string' || event.keyNamePrefix.length < 2) throw new Error('the schedule sent no keyNamePrefix (lib/http/routes.js, scheduled["key-expiry"])');
  const run = await disableExpiredKeys(apiGateway, event.keyNamePrefix, now);
  logger.info('key expiry run', { checked: run.checked, disabled: run.disabled, unreadable: run.unreadable });
  return run;
}

let client: APIGatewayClient | undefined;

/**
 * The scheduled key expiry (EventBridge, the `keyExpirySchedule` param): a
 * rotated key stops working at most one schedule interval after its grace
 * ends.
 */
export async function handler(event: KeyExpiryEvent): Promise<ExpiryRun> {
  return expireKeys(event, Date.now(), (client ??= new APIGatewayClient({})));
}
