import type { HttpHandler } from './lambda';

export type Handlers = Record<'predict' | 'health' | 'models' | 'v2Infer' | 'v2Metadata' | 'monitoring' | 'batchJobs', HttpHandler>;

/**
 * Every handler, loaded afresh (jest.isolateModules): for tests that change
 * what is read at load (log level, models folder, traffic files) and need a
 * container's first start again.
 */
export function freshHandlers(): Handlers {
  let handlers!: Handlers;
  jest.isolateModules(() => {
    handlers = {
      predict: require('../../handlers/predict').handler,
      health: require('../../handlers/health').handler,
      models: require('../../handlers/models').handler,
      v2Infer: require('../../handlers/v2-infer').handler,
      v2Metadata: require('../../handlers/v2-metadata').handler,
      monitoring: require('../../handlers/monitoring').handler,
      batchJobs: require('../../handlers/batch-jobs').handler,
    };
  });
  return handlers;
}
