import { deaggregateJson, deliveredLines } from '../../../../cli/local/aws/firehose';

describe("the Firehose simulator's JSON deaggregation", () => {
  it('splits consecutive and newline-delimited objects alike, and refuses arrays, broken JSON and more than 500', () => {
    expect(deaggregateJson(Buffer.from('{"a":1}{"a":"}{"}\n{"a":[1,{"b":2}]}\n'))).toEqual([
      '{"a":1}',
      '{"a":"}{"}',
      '{"a":[1,{"b":2}]}',
    ]);
    expect(() => deaggregateJson(Buffer.from('[{"a":1},{"a":2}]'))).toThrow(/expected a JSON object/);
    expect(() => deaggregateJson(Buffer.from('{"a":1'))).toThrow(/unterminated/);
    expect(() => deaggregateJson(Buffer.from('{"a":tru}'))).toThrow(/invalid JSON/);
    expect(() => deaggregateJson(Buffer.from('{"a":1}'.repeat(501)))).toThrow(/more than 500/);
    expect(deaggregateJson(Buffer.from('{"a":1}'.repeat(500)))).toHaveLength(500);
  });

  it('writes each sub-record followed by the newline AppendDelimiterToRecord adds', () => {
    expect(deliveredLines(Buffer.from('{"a":1}{"b":2}'))).toEqual(['{"a":1}\n', '{"b":2}\n']);
  });
});
