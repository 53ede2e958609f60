import { Logger } from '@aws-lambda-powertools/logger';
import { settings } from './settings';

/** The one logger of the service; level from POWERTOOLS_LOG_LEVEL (serverless.yml). */
export const logger = new Logger({ serviceName: settings.serviceName() });
