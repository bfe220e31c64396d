/**
 * AWS clients for the CLI. They follow the SDK's standard configuration: region and credentials from the
 * environment or profile (`AWS_PROFILE`, `AWS_REGION`), endpoints from `AWS_ENDPOINT_URL_<SERVICE>`.
 */
import { FirehoseClient } from '@aws-sdk/client-firehose';
import { KMSClient } from '@aws-sdk/client-kms';
import { S3Client } from '@aws-sdk/client-s3';
import { DataKeyCache } from '../tasks/core/das/data-key-cache';
import type { DataKeyResolver } from '../tasks/core/das/record';
import { kmsDataKeyResolver } from '../tasks/shared/kms-data-keys';

export function kmsResolver(): DataKeyResolver {
  return kmsDataKeyResolver(new KMSClient({}), new DataKeyCache());
}

export const s3Client = (): S3Client => new S3Client({});
export const firehoseClient = (): FirehoseClient => new FirehoseClient({});
