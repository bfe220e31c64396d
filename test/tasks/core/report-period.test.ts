import { InvalidPeriodError, localMidnight, reportPeriod } from '../../../tasks/core/report-period';

describe('report periods', () => {
  it('makes daily the previous calendar day in the time zone, with the UTC day partitions that cover it', () => {
    const p = reportPeriod({ period: 'daily' }, 'Europe/Berlin', new Date('2026-11-24T06:30:00Z'));
    expect(p).toMatchObject({
      start: '2026-11-22T23:00:00.000Z',
      end: '2026-11-23T23:00:00.000Z',
      fromDay: '2026-11-22',
      toDay: '2026-11-23',
      firstDate: '2026-11-23',
      lastDate: '2026-11-23',
    });
    expect(p.previous).toMatchObject({ start: '2026-11-21T23:00:00.000Z', end: '2026-11-22T23:00:00.000Z' });
  });

  it('covers exactly one UTC day partition for a daily report in UTC', () => {
    const p = reportPeriod({ period: 'daily' }, 'UTC', new Date('2026-11-24T07:00:00Z'));
    expect([p.start, p.end, p.fromDay, p.toDay]).toEqual([
      '2026-11-23T00:00:00.000Z',
      '2026-11-24T00:00:00.000Z',
      '2026-11-23',
      '2026-11-23',
    ]);
  });

  it('makes weekly the previous Monday to Sunday', () => {
    // Tuesday 2026-11-24 → Monday 2026-11-16 .. Sunday 2026-11-22.
    const p = reportPeriod({ period: 'weekly' }, 'UTC', new Date('2026-11-24T07:00:00Z'));
    expect([p.firstDate, p.lastDate, p.start, p.end]).toEqual([
      '2026-11-16',
      '2026-11-22',
      '2026-11-16T00:00:00.000Z',
      '2026-11-23T00:00:00.000Z',
    ]);
    expect([p.previous.firstDate, p.previous.lastDate]).toEqual(['2026-11-09', '2026-11-15']);
    // Run on a Monday: the week that just ended.
    const monday = reportPeriod({ period: 'weekly' }, 'UTC', new Date('2026-11-23T07:00:00Z'));
    expect([monday.firstDate, monday.lastDate]).toEqual(['2026-11-16', '2026-11-22']);
  });

  it('makes monthly the previous calendar month, across the year end and leap Februaries', () => {
    expect(reportPeriod({ period: 'monthly' }, 'UTC', new Date('2027-01-01T07:00:00Z'))).toMatchObject({
      firstDate: '2026-12-01',
      lastDate: '2026-12-31',
    });
    const march = reportPeriod({ period: 'monthly' }, 'UTC', new Date('2028-03-02T07:00:00Z'));
    expect([march.firstDate, march.lastDate]).toEqual(['2028-02-01', '2028-02-29']);
    expect([march.previous.firstDate, march.previous.lastDate]).toEqual(['2028-01-03', '2028-01-31']); // 29 days before
  });

  it('gives a 23-hour day at the spring DST change and a 25-hour one in autumn', () => {
    const spring = reportPeriod({ from: '2027-03-28', to: '2027-03-28' }, 'Europe/Berlin');
    expect([spring.start, spring.end]).toEqual(['2027-03-27T23:00:00.000Z', '2027-03-28T22:00:00.000Z']);
    const autumn = reportPeriod({ from: '2026-10-25', to: '2026-10-25' }, 'Europe/Berlin');
    expect([autumn.start, autumn.end]).toEqual(['2026-10-24T22:00:00.000Z', '2026-10-25T23:00:00.000Z']);
    const ny = reportPeriod({ from: '2026-11-01', to: '2026-11-01' }, 'America/New_York');
    expect([ny.start, ny.end]).toEqual(['2026-11-01T04:00:00.000Z', '2026-11-02T05:00:00.000Z']);
  });

  it('finds local midnight even where the offset changes that day', () => {
    expect(new Date(localMidnight(2027, 3, 28, 'Europe/Berlin')).toISOString()).toBe(
      '2027-03-27T23:00:00.000Z',
    );
    expect(new Date(localMidnight(2026, 3, 8, 'America/New_York')).toISOString()).toBe(
      '2026-03-08T05:00:00.000Z',
    );
  });

  it.each([
    [{ from: '2026-11-31', to: '2026-12-01' }, 'from is not a calendar date: "2026-11-31"'],
    [{ from: '2026-12-02', to: '2026-12-01' }, 'from (2026-12-02) must not be after to (2026-12-01)'],
    [{ from: '24.11.2026', to: '2026-12-01' }, 'from must be YYYY-MM-DD, got "24.11.2026"'],
    [{ from: '2025-01-01', to: '2026-12-01' }, 'a report period is at most 366 days'],
  ])('rejects %j', (request, message) => {
    expect(() => reportPeriod(request, 'UTC')).toThrow(new InvalidPeriodError(message));
  });

  it('rejects an unknown time zone', () => {
    expect(() => reportPeriod({ period: 'daily' }, 'Mars/Olympus')).toThrow(
      'timeZone must be an IANA time zone',
    );
  });
});
