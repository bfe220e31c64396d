/**
 * The state machine side of a Lambda contract (`tasks/*\/contract.ts`): a `ResultSelector` that takes named
 * fields of a `LambdaInvoke`'s `Payload`, the names checked against the contract's result type.
 */
export function payloadFields<T>(fields: readonly (keyof T & string)[]): Record<string, string> {
  return Object.fromEntries(fields.map((f) => [`${f}.$`, `$.Payload.${f}`]));
}
