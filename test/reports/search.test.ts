/**
 * The event search's time range: local wall-clock times of an IANA time zone to UTC instants and the `day`
 * partitions they touch. Expected instants are worked out by hand from the zone's rules (Europe/Berlin: UTC+1,
 * UTC+2 from 2026-03-29 01:00Z to 2026-10-25 01:00Z; America/New_York: UTC−5, UTC−4 from 2026-03-08 07:00Z).
 */
import {
  deployedEventSearchSql,
  eventSearchParameters,
  eventSearchRange,
  InvalidSearchError,
} from '../../reports/search';

const NOW = new Date('2026-12-01T08:00:00Z');

describe('the event search range', () => {
  it('makes a local date its whole local day, across UTC midnight', () => {
    expect(
      eventSearchRange({ from: '2026-11-23', to: '2026-11-23', timeZone: 'Europe/Berlin' }, NOW),
    ).toEqual({
      start: '2026-11-22T23:00:00.000Z',
      end: '2026-11-23T23:00:00.000Z',
      fromDay: '2026-11-22',
      toDay: '2026-11-23',
      fromHour: '23',
      toHour: '22',
      timeZone: 'Europe/Berlin',
    });
  });

  it('gives the day clocks go forward 23 hours and the day they go back 25', () => {
    const spring = eventSearchRange({ from: '2026-03-29', to: '2026-03-29', timeZone: 'Europe/Berlin' }, NOW);
    expect([spring.start, spring.end]).toEqual(['2026-03-28T23:00:00.000Z', '2026-03-29T22:00:00.000Z']);
    const autumn = eventSearchRange({ from: '2026-10-25', to: '2026-10-25', timeZone: 'Europe/Berlin' }, NOW);
    expect([autumn.start, autumn.end]).toEqual(['2026-10-24T22:00:00.000Z', '2026-10-25T23:00:00.000Z']);
  });

  it('moves a skipped local time forward by the gap and takes the first of a repeated one', () => {
    // 02:30 does not exist on 2026-03-29 in Berlin: 03:30 CEST = 01:30Z.
    expect(
      eventSearchRange({ from: '2026-03-29T02:30', to: '2026-03-29T04:00', timeZone: 'Europe/Berlin' }, NOW)
        .start,
    ).toBe('2026-03-29T01:30:00.000Z');
    // 02:30 happens twice on 2026-10-25 in Berlin: first at CEST (00:30Z), then at CET (01:30Z).
    expect(
      eventSearchRange({ from: '2026-10-25T02:30', to: '2026-10-25T04:00', timeZone: 'Europe/Berlin' }, NOW)
        .start,
    ).toBe('2026-10-25T00:30:00.000Z');
    // New York, 2026-03-08: 02:30 skipped, 03:30 EDT = 07:30Z; the end 09:15:20 EDT = 13:15:20Z.
    expect(
      eventSearchRange(
        { from: '2026-03-08T02:30', to: '2026-03-08 09:15:20', timeZone: 'America/New_York' },
        NOW,
      ),
    ).toMatchObject({ start: '2026-03-08T07:30:00.000Z', end: '2026-03-08T13:15:20.000Z' });
  });

  it('takes instants with Z or an offset as they are, whatever the time zone', () => {
    expect(
      eventSearchRange(
        { from: '2026-11-30T23:30:00Z', to: '2026-12-01T02:00:00+02:00', timeZone: 'Asia/Tokyo' },
        NOW,
      ),
    ).toEqual({
      start: '2026-11-30T23:30:00.000Z',
      end: '2026-12-01T00:00:00.000Z',
      fromDay: '2026-11-30',
      toDay: '2026-11-30',
      fromHour: '23',
      toHour: '23',
      timeZone: 'Asia/Tokyo',
    });
  });

  it('defaults to the 24 hours before now', () => {
    expect(eventSearchRange({}, NOW)).toMatchObject({
      start: '2026-11-30T08:00:00.000Z',
      end: '2026-12-01T08:00:00.000Z',
      fromDay: '2026-11-30',
      toDay: '2026-12-01',
    });
  });

  it.each([
    [{ from: '2026-02-30' }, 'from is not a calendar date: "2026-02-30"'],
    [{ from: '23.11.2026' }, 'from must be YYYY-MM-DD, YYYY-MM-DDTHH:MM[:SS]'],
    [{ from: '2026-11-23T10:00', to: '2026-11-23T10:00' }, 'must be before to'],
    [{ from: '2025-01-01', to: '2026-11-23' }, 'a search covers at most 366 days'],
    [{ timeZone: 'Berlin' }, 'time zone must be an IANA time zone'],
  ])('refuses %j', (options, message) => {
    expect(() => eventSearchRange(options, NOW)).toThrow(InvalidSearchError);
    expect(() => eventSearchRange(options, NOW)).toThrow(message);
  });
});

describe('the event search parameters and SQL', () => {
  const range = eventSearchRange({ from: '2026-11-23', to: '2026-11-23' }, NOW);

  it('refuses a cluster filter that is not a resource id, and an unknown source', () => {
    expect(() => eventSearchParameters(range, { cluster: "x' OR '1'='1" })).toThrow(InvalidSearchError);
    expect(() => eventSearchParameters(range, { source: 'all' })).toThrow(
      'source must be one of das, pgaudit, both',
    );
  });

  it('keeps each quoted value within the 1,024 characters of an Athena execution parameter', () => {
    expect(eventSearchParameters(range, { text: 'x'.repeat(1022) })).toContain('x'.repeat(1022));
    // A quote is doubled once quoted: 511 quotes become 1,022 characters plus the two around them.
    expect(() => eventSearchParameters(range, { text: "'".repeat(512) })).toThrow('text is too long');
    expect(eventSearchParameters(range, { text: "'".repeat(511) })).toContain("'".repeat(511));
  });

  it('names the deployed table in place of aurora_audit.audit_events and refuses anything but <database>.<table>', () => {
    expect(deployedEventSearchSql('audit_prod.events')).toContain('FROM audit_prod.events e');
    expect(deployedEventSearchSql('audit_prod.events')).not.toContain('aurora_audit');
    expect(() => deployedEventSearchSql('x; DROP TABLE y')).toThrow(InvalidSearchError);
  });
});
