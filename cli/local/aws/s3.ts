/**
 * S3 objects put through the AWS SDK integration `arn:aws:states:::aws-sdk:s3:putObject` (members after the AWS
 * SDK for Java v2: `Bucket`, `Key`, `Body`, `ContentType`). A bucket must exist (`addBucket`: the template's);
 * an unknown one answers `S3.NoSuchBucketException`. `Body` must be a string here: what the workflow renders
 * with States.JsonToString.
 */
import type { SimClock } from '../stepfunctions/clock';
import { AwsServiceError, requestId, sdkCause } from './errors';

export interface StoredObject {
  readonly bucket: string;
  readonly key: string;
  readonly body: string;
  readonly contentType?: string;
  readonly at: string;
}

export class S3Simulator {
  readonly buckets = new Set<string>();
  /** By `bucket/key`; a put replaces (versions are not modelled). */
  readonly objects = new Map<string, StoredObject>();

  constructor(private readonly clock: SimClock) {}

  addBucket(name: string): void {
    this.buckets.add(name);
  }

  /** The objects whose key starts with `prefix`, in key order. */
  list(prefix = ''): StoredObject[] {
    return [...this.objects.values()]
      .filter((o) => o.key.startsWith(prefix))
      .sort((a, b) => a.key.localeCompare(b.key));
  }

  handlers(): Record<string, (params: Record<string, unknown>) => unknown> {
    return {
      's3:putObject': (params) => {
        const bucket = String(params.Bucket ?? '');
        if (!this.buckets.has(bucket))
          throw new AwsServiceError(
            'S3.NoSuchBucketException',
            sdkCause('S3', 404, 'The specified bucket does not exist'),
          );
        const key = params.Key;
        if (typeof key !== 'string' || key === '' || key.length > 1024)
          throw new AwsServiceError('S3.S3Exception', sdkCause('S3', 400, 'Invalid key'));
        if (typeof params.Body !== 'string')
          throw new AwsServiceError('S3.S3Exception', sdkCause('S3', 400, 'Body must be a string here'));
        this.objects.set(`${bucket}/${key}`, {
          bucket,
          key,
          body: params.Body,
          contentType: params.ContentType as string | undefined,
          at: this.clock.iso(),
        });
        return { ETag: `"${requestId().replace(/-/g, '')}"` };
      },
    };
  }
}
