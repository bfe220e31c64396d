/**
 * Report Lambda of the compliance-report workflow: `prepare` (validate the input, plan the queries) and
 * `render` (read the results, render, archive, send). A thin adapter: settings and clients are created once
 * per execution environment; the work is in ./render, ./prepare and ../core/report.
 */
import { AthenaClient } from '@aws-sdk/client-athena';
import { S3Client } from '@aws-sdk/client-s3';
import { SESClient } from '@aws-sdk/client-ses';
import { createLogger } from '../shared/logger';
import type { ReportLambdaEvent } from './contract';
import { createReportHandler } from './render';
import { readReportSettings } from './settings';

const logger = createLogger('aurora-audit-report');
const report = createReportHandler(readReportSettings(), {
  athena: new AthenaClient({}),
  s3: new S3Client({}),
  ses: new SESClient({}),
});

export const handler = async (event: ReportLambdaEvent) => {
  const action = (event as { action?: unknown } | null)?.action;
  try {
    const result = await report(event);
    if ('valid' in result)
      logger.info('prepared', {
        valid: result.valid,
        problem: result.problem,
        queries: result.queries.length,
      });
    else logger.info('rendered', { ...result });
    return result;
  } catch (err) {
    logger.error('report failed', { action, error: err as Error });
    throw err;
  }
};
