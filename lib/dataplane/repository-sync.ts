import type middy from '@middy/core';
import { syncRepository } from '../repository/model-repository';

/**
 * Before a request reads the repository: with MODEL_STORE, the store is
 * listed again if its listing is older than MODEL_STORE_RELIST_SECONDS, so a
 * warm container serves what was pushed since (README, "Large models"); a
 * store never listed answers 503 naming its error. Without a store it does
 * nothing. Every handler whose routes read models uses it.
 */
export function inSyncWithRepository(): middy.MiddlewareObj {
  return { before: async () => syncRepository() };
}

export { syncRepository };
