/**
 * CloudWatch metrics (`arn:aws:states:::aws-sdk:cloudwatch:putMetricData`), in Step Functions' spelling
 * (members after the AWS SDK for Java v2, which for PutMetricData are the API's: `Namespace`, `MetricData`,
 * `MetricName`, `Dimensions`, `Value`, `Values`, `Unit`). Checks what the service model and the API reference
 * say CloudWatch checks: a namespace, at most 1,000 data and 30 dimensions each, a datum's `Value` or `Values`
 * (not both), numbers, a known unit. Records each datum with the time it was put.
 */
import type { SimClock } from '../stepfunctions/clock';
import { AwsServiceError, sdkCause } from './errors';

export interface PutDatum {
  readonly namespace: string;
  readonly metricName: string;
  readonly dimensions: Readonly<Record<string, string>>;
  /** `Value`, or each of `Values`. */
  readonly values: readonly number[];
  readonly unit?: string;
  readonly at: string;
}

const UNITS = new Set([
  'Seconds',
  'Microseconds',
  'Milliseconds',
  'Bytes',
  'Kilobytes',
  'Megabytes',
  'Gigabytes',
  'Terabytes',
  'Bits',
  'Kilobits',
  'Megabits',
  'Gigabits',
  'Terabits',
  'Percent',
  'Count',
  'Bytes/Second',
  'Kilobytes/Second',
  'Megabytes/Second',
  'Gigabytes/Second',
  'Terabytes/Second',
  'Bits/Second',
  'Kilobits/Second',
  'Megabits/Second',
  'Gigabits/Second',
  'Terabits/Second',
  'Count/Second',
  'None',
]);

export class CloudWatchSimulator {
  readonly data: PutDatum[] = [];

  constructor(private readonly clock: SimClock) {}

  /** The data of one metric, optionally with these dimensions exactly. */
  datums(metricName: string, dimensions?: Record<string, string>): PutDatum[] {
    return this.data.filter(
      (d) =>
        d.metricName === metricName &&
        (dimensions === undefined ||
          JSON.stringify(sorted(d.dimensions)) === JSON.stringify(sorted(dimensions))),
    );
  }

  handlers(): Record<string, (params: Record<string, unknown>) => unknown> {
    const invalid = (message: string) =>
      new AwsServiceError('CloudWatch.InvalidParameterValueException', sdkCause('CloudWatch', 400, message));
    return {
      'cloudwatch:putMetricData': (params) => {
        const namespace = params.Namespace;
        if (typeof namespace !== 'string' || namespace === '' || namespace.startsWith('AWS/'))
          throw invalid(`The value ${JSON.stringify(namespace)} for parameter Namespace is not valid.`);
        const data = params.MetricData;
        if (!Array.isArray(data) || data.length === 0 || data.length > 1000)
          throw invalid('The parameter MetricData must hold 1 to 1000 data.');
        const put: PutDatum[] = data.map((raw: Record<string, unknown>, i) => {
          if (typeof raw.MetricName !== 'string' || raw.MetricName === '')
            throw invalid(`The parameter MetricData.member.${i + 1}.MetricName is required.`);
          const dims = (raw.Dimensions ?? []) as { Name?: unknown; Value?: unknown }[];
          if (!Array.isArray(dims) || dims.length > 30)
            throw invalid(`MetricData.member.${i + 1}.Dimensions must hold at most 30 dimensions.`);
          const dimensions: Record<string, string> = {};
          for (const d of dims) {
            if (typeof d.Name !== 'string' || typeof d.Value !== 'string' || d.Value === '')
              throw invalid(
                `MetricData.member.${i + 1}.Dimensions: each needs a Name and a non-empty Value.`,
              );
            dimensions[d.Name] = d.Value;
          }
          const hasValue = raw.Value !== undefined;
          const hasValues = raw.Values !== undefined;
          if (hasValue === hasValues)
            throw new AwsServiceError(
              'CloudWatch.InvalidParameterCombinationException',
              sdkCause('CloudWatch', 400, `MetricData.member.${i + 1} must give Value or Values, not both.`),
            );
          const values = hasValue ? [raw.Value] : (raw.Values as unknown[]);
          if (
            !Array.isArray(values) ||
            values.length === 0 ||
            values.some((v) => typeof v !== 'number' || !Number.isFinite(v))
          )
            throw invalid(
              `MetricData.member.${i + 1}: values must be numbers, got ${JSON.stringify(values)}.`,
            );
          if (raw.Unit !== undefined && !UNITS.has(String(raw.Unit)))
            throw invalid(
              `The value ${JSON.stringify(raw.Unit)} for parameter MetricData.member.${i + 1}.Unit is not valid.`,
            );
          return {
            namespace,
            metricName: raw.MetricName,
            dimensions,
            values: values as number[],
            unit: raw.Unit as string | undefined,
            at: this.clock.iso(),
          };
        });
        this.data.push(...put);
        return {};
      },
    };
  }
}

function sorted(record: Record<string, string>): [string, string][] {
  return Object.entries(record).sort(([a], [b]) => a.localeCompare(b));
}
