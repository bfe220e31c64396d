import { Logger } from '@aws-lambda-powertools/logger';

/** The one logger of a Lambda (Powertools). Service name from POWERTOOLS_SERVICE_NAME. */
export function createLogger(serviceName: string): Logger {
  return new Logger({ serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? serviceName });
}
