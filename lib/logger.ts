import { Logger } from '@aws-lambda-powertools/logger';

/** The one logger of the service; level from POWERTOOLS_LOG_LEVEL (serverless.yml). */
export const logger = new Logger({ serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'ml-inference' });
