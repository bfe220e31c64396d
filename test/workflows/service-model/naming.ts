/**
 * How Step Functions names what an AWS SDK integration (`arn:aws:states:::aws-sdk:<service>:<action>`) returns
 * and throws: after the AWS SDK for Java v2, whose code generator derives class and member names from the
 * service model (the same models botocore ships). The rule, as the Java v2 code generator applies it
 * (`DefaultNamingStrategy`):
 *
 * - words: a name is split at word boundaries — before an upper-case letter that follows a lower-case one,
 *   between an acronym and the capitalized word after it (`DBCluster` → `DB Cluster`), after a digit followed
 *   by a letter (`EC2Throttled` → `EC2 Throttled`);
 * - PascalCase: each word lower-cased, then its first letter upper-cased: `DBClusters` → `DbClusters`,
 *   `UUID` → `Uuid`, `KMSKeyNotAccessible` → `KmsKeyNotAccessible`;
 * - an exception class: the error shape's name in PascalCase with a trailing `Fault` replaced by `Exception`
 *   (`DBClusterNotFoundFault` → `DbClusterNotFoundException`), `Exception` kept, and `Exception` appended to
 *   anything else (`RequestLimitExceeded` → `RequestLimitExceededException`);
 * - the error name: `<service>.<class>`, the service being the model's `serviceId` in PascalCase (`RDS` →
 *   `Rds`, `DynamoDB` → `DynamoDb`); an error the operation does not declare arrives as the service's base
 *   exception `<service>.<service>Exception` (`Rds.RdsException`, `Lambda.LambdaException`).
 *
 * Optimized integrations (`arn:aws:states:::dynamodb:putItem`, `sns:publish`, `athena:…`, `lambda:invoke`) are
 * named otherwise: a fixed prefix (`DynamoDB.`, `SNS.`, `Athena.`, `Lambda.`) and the error as the service
 * reports it. Whether that is the error shape's name, its wire code or the SDK's class name is not documented
 * (`DynamoDB.InternalServerError` or `DynamoDB.InternalServerErrorException`): every spelling is accepted, and
 * a retried transient error must be retried in each of them.
 */

/** The words of a model name, as the Java v2 code generator splits them. */
export function javaV2Words(name: string): string[] {
  let s = name.replace(/[^A-Za-z0-9]+/g, ' ');
  s = s.replace(/([^a-z]{2,})v([0-9]+)/g, '$1 v$2 ').replace(/([^A-Z]{2,})V([0-9]+)/g, '$1 V$2 ');
  s = s.split(/(?<=[a-z])(?=[A-Z](?:[a-zA-Z]|[0-9]))/).join(' ');
  s = s.replace(/([A-Z]+)([A-Z][a-z])/g, '$1 $2');
  s = s.replace(/([0-9])([a-zA-Z])/g, '$1 $2');
  return s.replace(/ +/g, ' ').trim().split(' ');
}

/** `DBClusterIdentifier` → `DbClusterIdentifier`: member (result field) and class names in the Java v2 SDK. */
export function javaV2PascalCase(name: string): string {
  return javaV2Words(name)
    .map((w) => w.charAt(0).toUpperCase() + w.slice(1).toLowerCase())
    .join('');
}

/** `DBClusterNotFoundFault` → `DbClusterNotFoundException`. */
export function javaV2ExceptionClass(errorShape: string): string {
  if (errorShape.endsWith('Fault'))
    return `${javaV2PascalCase(errorShape.slice(0, -'Fault'.length))}Exception`;
  if (errorShape.endsWith('Exception')) return javaV2PascalCase(errorShape);
  return `${javaV2PascalCase(errorShape)}Exception`;
}

/** The prefix of an AWS SDK integration's error names: the model's serviceId in PascalCase (`RDS` → `Rds`). */
export function awsSdkErrorPrefix(serviceId: string): string {
  return javaV2PascalCase(serviceId);
}

/** `Rds.RdsException`: what an error the operation does not declare (throttling, validation) arrives as. */
export function awsSdkBaseError(serviceId: string): string {
  const prefix = awsSdkErrorPrefix(serviceId);
  return `${prefix}.${prefix}Exception`;
}

/** `Rds.DbClusterNotFoundException` for RDS's `DBClusterNotFoundFault`. */
export function awsSdkErrorName(serviceId: string, errorShape: string): string {
  return `${awsSdkErrorPrefix(serviceId)}.${javaV2ExceptionClass(errorShape)}`;
}

/**
 * Every spelling an optimized integration may give a declared error: the shape's name, its wire code, and the
 * shape's name with `Exception` appended (the SDK class) — `DynamoDB.InternalServerError`,
 * `DynamoDB.InternalServerErrorException`.
 */
export function optimizedErrorSpellings(prefix: string, error: { shape: string; code: string }): string[] {
  const names = new Set([error.shape, error.code]);
  for (const n of [error.shape, error.code]) if (!/(Exception|Fault)$/.test(n)) names.add(`${n}Exception`);
  return [...names].map((n) => `${prefix}.${n}`);
}
