import { InvalidTimestampError, toIsoUtc, utcDay } from '../../../tasks/core/time';

describe('toIsoUtc', () => {
  it.each([
    ['2019-10-30 00:39:49.990579+00', '2019-10-30T00:39:49.990579Z'],
    ['2026-11-24 10:00:00 UTC', '2026-11-24T10:00:00Z'],
    ['2026-11-24 10:00:00', '2026-11-24T10:00:00Z'],
    ['2026-11-24T10:00:00.5Z', '2026-11-24T10:00:00.5Z'],
    ['2026-01-01 01:30:00.000001+02', '2025-12-31T23:30:00.000001Z'],
    ['2026-03-01 23:15:00-05:30', '2026-03-02T04:45:00Z'],
  ])('converts %s to %s keeping sub-second digits', (input, expected) => {
    expect(toIsoUtc(input)).toBe(expected);
  });

  it.each(['', 'yesterday', '2026-02-30 10:00:00', '2026-11-24 25:00:00'])(
    'rejects %j with an InvalidTimestampError',
    (input) => {
      expect(() => toIsoUtc(input)).toThrow(InvalidTimestampError);
    },
  );

  it('gives the UTC day of a converted timestamp, not the local one', () => {
    expect(utcDay(toIsoUtc('2026-01-01 01:30:00+02'))).toBe('2025-12-31');
  });
});
