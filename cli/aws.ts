/**
 * AWS clients for the CLI, configured by `./aws-settings.ts` (`--profile`, `--region`, the configuration's region) over the
 * SDK's standard `AWS_*` variables; endpoints from `AWS_ENDPOINT_URL_<SERVICE>`.
 */
import { FirehoseClient } from '@aws-sdk/client-firehose';
import { KMSClient } from '@aws-sdk/client-kms';
import { S3Client } from '@aws-sdk/client-s3';
import { DataKeyCache } from '../tasks/core/das/data-key-cache';
import type { DataKeyResolver } from '../tasks/core/das/record';
import { kmsDataKeyResolver } from '../tasks/shared/kms-data-keys';
import { awsClientConfig } from './aws-settings';

export function kmsResolver(): DataKeyResolver {
  return kmsDataKeyResolver(new KMSClient(awsClientConfig()), new DataKeyCache());
}

export const s3Client = (): S3Client => new S3Client(awsClientConfig());
export const firehoseClient = (): FirehoseClient => new FirehoseClient(awsClientConfig());
