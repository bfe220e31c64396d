import {
  dayPartitions,
  InvalidPeriodError,
  localDateOf,
  localDayStart,
  type Period,
  reportPeriod,
} from '../../../tasks/core/report-period';

const range = (p: Period) => [p.start, p.end];
const dates = (p: Period) => [p.firstDate, p.lastDate];
const hours = (p: Period) => (Date.parse(p.end) - Date.parse(p.start)) / 3_600_000;

describe('daily, weekly and monthly report periods', () => {
  it('makes daily the previous calendar day in the time zone, with the UTC day partitions that cover it', () => {
    // 07:30 in Berlin on Tuesday 2026-11-24: the report is about Monday 2026-11-23 (UTC+1).
    const p = reportPeriod({ period: 'daily' }, 'Europe/Berlin', new Date('2026-11-24T06:30:00Z'));
    expect(p).toMatchObject({
      start: '2026-11-22T23:00:00.000Z',
      end: '2026-11-23T23:00:00.000Z',
      fromDay: '2026-11-22',
      toDay: '2026-11-23',
      firstDate: '2026-11-23',
      lastDate: '2026-11-23',
      days: 1,
      timeZone: 'Europe/Berlin',
    });
    expect(dayPartitions(p)).toEqual(['2026-11-22', '2026-11-23']);
    expect(p.previous).toMatchObject({
      start: '2026-11-21T23:00:00.000Z',
      end: '2026-11-22T23:00:00.000Z',
      fromDay: '2026-11-21',
      toDay: '2026-11-22',
      firstDate: '2026-11-22',
      days: 1,
    });
  });

  it('covers exactly one UTC day partition for a daily report in UTC', () => {
    const p = reportPeriod({ period: 'daily' }, 'UTC', new Date('2026-11-24T07:00:00Z'));
    expect([...range(p), p.fromDay, p.toDay]).toEqual([
      '2026-11-23T00:00:00.000Z',
      '2026-11-24T00:00:00.000Z',
      '2026-11-23',
      '2026-11-23',
    ]);
    expect(dayPartitions(p)).toEqual(['2026-11-23']);
  });

  it('gives the UTC hour partitions a local day starts and ends in, so that it reads its own hours only', () => {
    // Berlin (UTC+1): 2026-11-22 23:00Z to 2026-11-23 23:00Z, hour 23 of the 22nd to hour 22 of the 23rd.
    const berlin = reportPeriod({ period: 'daily' }, 'Europe/Berlin', new Date('2026-11-24T06:30:00Z'));
    expect([berlin.fromDay, berlin.fromHour, berlin.toDay, berlin.toHour]).toEqual([
      '2026-11-22',
      '23',
      '2026-11-23',
      '22',
    ]);
    expect(berlin.previous.fromHour).toBe('23');
    // New York (UTC−5): 2026-11-23 05:00Z to 2026-11-24 05:00Z.
    const newYork = reportPeriod({ period: 'daily' }, 'America/New_York', new Date('2026-11-24T12:00:00Z'));
    expect([newYork.fromDay, newYork.fromHour, newYork.toDay, newYork.toHour]).toEqual([
      '2026-11-23',
      '05',
      '2026-11-24',
      '04',
    ]);
    // UTC: the whole day, hours 00 to 23. India (UTC+5:30): the half hours start and end inside an hour.
    const utc = reportPeriod({ period: 'daily' }, 'UTC', new Date('2026-11-24T07:00:00Z'));
    expect([utc.fromDay, utc.fromHour, utc.toDay, utc.toHour]).toEqual([
      '2026-11-23',
      '00',
      '2026-11-23',
      '23',
    ]);
    const india = reportPeriod({ period: 'daily' }, 'Asia/Kolkata', new Date('2026-11-24T07:00:00Z'));
    expect([india.start, india.fromHour, india.toDay, india.toHour]).toEqual([
      '2026-11-22T18:30:00.000Z',
      '18',
      '2026-11-23',
      '18',
    ]);
  });

  it('takes "yesterday" in the time zone, not in UTC, when the run is near midnight', () => {
    // 23:30 UTC on the 23rd is already the 24th in Berlin and still the 23rd in New York.
    const now = new Date('2026-11-23T23:30:00Z');
    expect(dates(reportPeriod({ period: 'daily' }, 'Europe/Berlin', now))).toEqual([
      '2026-11-23',
      '2026-11-23',
    ]);
    expect(dates(reportPeriod({ period: 'daily' }, 'America/New_York', now))).toEqual([
      '2026-11-22',
      '2026-11-22',
    ]);
    // Exactly at local midnight the new day has begun.
    const midnight = new Date('2026-11-23T23:00:00Z');
    expect(reportPeriod({ period: 'daily' }, 'Europe/Berlin', midnight).firstDate).toBe('2026-11-23');
    expect(
      reportPeriod({ period: 'daily' }, 'Europe/Berlin', new Date(midnight.getTime() - 1)).firstDate,
    ).toBe('2026-11-22');
  });

  it('puts a negative-offset day in two UTC partitions: the day itself and the next', () => {
    const p = reportPeriod({ period: 'daily' }, 'America/New_York', new Date('2026-11-24T12:00:00Z'));
    expect([...range(p), p.fromDay, p.toDay]).toEqual([
      '2026-11-23T05:00:00.000Z',
      '2026-11-24T05:00:00.000Z',
      '2026-11-23',
      '2026-11-24',
    ]);
  });

  it('crosses the year end: the daily report of January 1st is about December 31st', () => {
    const p = reportPeriod({ period: 'daily' }, 'Europe/Berlin', new Date('2027-01-01T06:00:00Z'));
    expect([...dates(p), ...range(p)]).toEqual([
      '2026-12-31',
      '2026-12-31',
      '2026-12-30T23:00:00.000Z',
      '2026-12-31T23:00:00.000Z',
    ]);
    expect(dates(p.previous)).toEqual(['2026-12-30', '2026-12-30']);
  });

  it('reports February 29th on March 1st of a leap year', () => {
    const p = reportPeriod({ period: 'daily' }, 'UTC', new Date('2028-03-01T07:00:00Z'));
    expect(dates(p)).toEqual(['2028-02-29', '2028-02-29']);
  });

  it('makes weekly the previous Monday to Sunday on every day of the week', () => {
    // 2026-11-23 is a Monday; every run from that Monday to Sunday 2026-11-29 reports 16–22 November.
    for (let day = 23; day <= 29; day++) {
      const p = reportPeriod({ period: 'weekly' }, 'UTC', new Date(`2026-11-${day}T07:00:00Z`));
      expect(dates(p)).toEqual(['2026-11-16', '2026-11-22']);
    }
    const p = reportPeriod({ period: 'weekly' }, 'UTC', new Date('2026-11-24T07:00:00Z'));
    expect([...range(p), p.days]).toEqual(['2026-11-16T00:00:00.000Z', '2026-11-23T00:00:00.000Z', 7]);
    expect(dates(p.previous)).toEqual(['2026-11-09', '2026-11-15']);
    // Monday 00:30 in Berlin is still Sunday in UTC: the week is the local one.
    const berlin = reportPeriod({ period: 'weekly' }, 'Europe/Berlin', new Date('2026-11-22T23:30:00Z'));
    expect(dates(berlin)).toEqual(['2026-11-16', '2026-11-22']);
  });

  it('makes weekly 167 or 169 hours long in a week with a DST change', () => {
    // Europe/Berlin: summer time ends Sunday 2026-10-25, starts Sunday 2027-03-28.
    const autumn = reportPeriod({ period: 'weekly' }, 'Europe/Berlin', new Date('2026-10-26T06:00:00Z'));
    expect([...dates(autumn), ...range(autumn), hours(autumn)]).toEqual([
      '2026-10-19',
      '2026-10-25',
      '2026-10-18T22:00:00.000Z',
      '2026-10-25T23:00:00.000Z',
      169,
    ]);
    const spring = reportPeriod({ period: 'weekly' }, 'Europe/Berlin', new Date('2027-03-29T06:00:00Z'));
    expect([...dates(spring), hours(spring)]).toEqual(['2027-03-22', '2027-03-28', 167]);
  });

  it('makes monthly the previous calendar month, across the year end and leap Februaries', () => {
    const december = reportPeriod({ period: 'monthly' }, 'UTC', new Date('2027-01-01T07:00:00Z'));
    expect([...dates(december), december.days, december.fromDay, december.toDay]).toEqual([
      '2026-12-01',
      '2026-12-31',
      31,
      '2026-12-01',
      '2026-12-31',
    ]);
    expect(dates(december.previous)).toEqual(['2026-10-31', '2026-11-30']); // 31 days before
    const leap = reportPeriod({ period: 'monthly' }, 'UTC', new Date('2028-03-31T23:59:59Z'));
    expect([...dates(leap), leap.days]).toEqual(['2028-02-01', '2028-02-29', 29]);
    expect(dates(leap.previous)).toEqual(['2028-01-03', '2028-01-31']); // 29 days before
    const common = reportPeriod({ period: 'monthly' }, 'UTC', new Date('2027-03-01T00:00:00Z'));
    expect([...dates(common), common.days]).toEqual(['2027-02-01', '2027-02-28', 28]);
  });

  it('makes a monthly report in a time zone start and end at local midnights, DST included', () => {
    // October 2026 in Berlin: 1 October 00:00 CEST (UTC+2) to 1 November 00:00 CET (UTC+1), 745 hours.
    const p = reportPeriod({ period: 'monthly' }, 'Europe/Berlin', new Date('2026-11-01T05:00:00Z'));
    expect([...range(p), p.fromDay, p.toDay, hours(p)]).toEqual([
      '2026-09-30T22:00:00.000Z',
      '2026-10-31T23:00:00.000Z',
      '2026-09-30',
      '2026-10-31',
      745,
    ]);
    // Run on 1 November at 00:30 in Berlin, which is still 31 October in UTC.
    expect(
      dates(reportPeriod({ period: 'monthly' }, 'Europe/Berlin', new Date('2026-10-31T23:30:00Z'))),
    ).toEqual(['2026-10-01', '2026-10-31']);
  });
});

describe('explicit periods', () => {
  it('takes from and to as inclusive local dates', () => {
    const p = reportPeriod({ from: '2026-11-01', to: '2026-11-03' }, 'America/New_York');
    expect([...range(p), p.fromDay, p.toDay, p.days]).toEqual([
      '2026-11-01T04:00:00.000Z', // EDT (UTC−4) until 2 a.m. on 1 November
      '2026-11-04T05:00:00.000Z', // EST (UTC−5)
      '2026-11-01',
      '2026-11-04',
      3,
    ]);
    expect(dates(p.previous)).toEqual(['2026-10-29', '2026-10-31']);
    expect(p.previous.end).toBe(p.start);
  });

  it('gives a 23-hour day at the spring DST change and a 25-hour one in autumn', () => {
    const berlinSpring = reportPeriod({ from: '2027-03-28', to: '2027-03-28' }, 'Europe/Berlin');
    expect([...range(berlinSpring), hours(berlinSpring)]).toEqual([
      '2027-03-27T23:00:00.000Z',
      '2027-03-28T22:00:00.000Z',
      23,
    ]);
    const berlinAutumn = reportPeriod({ from: '2026-10-25', to: '2026-10-25' }, 'Europe/Berlin');
    expect([...range(berlinAutumn), hours(berlinAutumn)]).toEqual([
      '2026-10-24T22:00:00.000Z',
      '2026-10-25T23:00:00.000Z',
      25,
    ]);
    const nySpring = reportPeriod({ from: '2026-03-08', to: '2026-03-08' }, 'America/New_York');
    expect([...range(nySpring), hours(nySpring)]).toEqual([
      '2026-03-08T05:00:00.000Z',
      '2026-03-09T04:00:00.000Z',
      23,
    ]);
    const nyAutumn = reportPeriod({ from: '2026-11-01', to: '2026-11-01' }, 'America/New_York');
    expect([...range(nyAutumn), hours(nyAutumn)]).toEqual([
      '2026-11-01T04:00:00.000Z',
      '2026-11-02T05:00:00.000Z',
      25,
    ]);
  });

  it('starts a day whose midnight does not exist at the DST change, and makes a skipped day empty', () => {
    // America/Santiago, 6 September 2026: 00:00 (UTC−4) becomes 01:00 (UTC−3).
    expect(new Date(localDayStart('2026-09-06', 'America/Santiago')).toISOString()).toBe(
      '2026-09-06T04:00:00.000Z',
    );
    // America/Santiago, 5 April 2026: 24:00 (UTC−3) falls back to 23:00 on the 4th (UTC−4).
    const fallBack = reportPeriod({ from: '2026-04-04', to: '2026-04-04' }, 'America/Santiago');
    expect([...range(fallBack), hours(fallBack)]).toEqual([
      '2026-04-04T03:00:00.000Z',
      '2026-04-05T04:00:00.000Z',
      25,
    ]);
    // Pacific/Apia skipped 30 December 2011 (UTC−10 to UTC+14).
    const skipped = reportPeriod({ from: '2011-12-30', to: '2011-12-30' }, 'Pacific/Apia');
    expect([skipped.start, skipped.end]).toEqual(['2011-12-30T10:00:00.000Z', '2011-12-30T10:00:00.000Z']);
    expect(hours(reportPeriod({ from: '2011-12-29', to: '2011-12-31' }, 'Pacific/Apia'))).toBe(48);
  });

  it('matches the local calendar for every day of a year in several time zones', () => {
    // Each period's first instant is in its first date, the instant before it in the day before.
    for (const timeZone of ['Europe/Berlin', 'America/New_York', 'Australia/Lord_Howe']) {
      for (let t = Date.UTC(2026, 0, 1); t < Date.UTC(2027, 0, 1); t += 86_400_000) {
        const day = new Date(t).toISOString().slice(0, 10);
        const p = reportPeriod({ from: day, to: day }, timeZone);
        expect([
          localDateOf(new Date(p.start), timeZone),
          localDateOf(new Date(Date.parse(p.start) - 1), timeZone),
        ]).toEqual([day, new Date(t - 86_400_000).toISOString().slice(0, 10)]);
        expect([23, 23.5, 24, 24.5, 25]).toContain(hours(p)); // Lord Howe shifts by 30 minutes
      }
    }
  });

  it.each([
    [{ from: '2026-11-31', to: '2026-12-01' }, 'from is not a calendar date: "2026-11-31"'],
    [{ from: '2027-02-29', to: '2027-03-01' }, 'from is not a calendar date: "2027-02-29"'],
    [{ from: '2026-12-02', to: '2026-12-01' }, 'from (2026-12-02) must not be after to (2026-12-01)'],
    [{ from: '24.11.2026', to: '2026-12-01' }, 'from must be YYYY-MM-DD, got "24.11.2026"'],
    [{ from: '2026-12-01', to: '2026-12-1' }, 'to must be YYYY-MM-DD, got "2026-12-1"'],
    [{ from: '2025-01-01', to: '2026-12-01' }, 'a report period is at most 366 days, got 700'],
  ])('rejects %j', (request, message) => {
    expect(() => reportPeriod(request, 'UTC')).toThrow(new InvalidPeriodError(message));
  });

  it('accepts a whole leap year (366 days)', () => {
    expect(reportPeriod({ from: '2028-01-01', to: '2028-12-31' }, 'UTC').days).toBe(366);
  });
});

describe('invalid input', () => {
  it('rejects an unknown time zone', () => {
    expect(() => reportPeriod({ period: 'daily' }, 'Mars/Olympus')).toThrow(
      new InvalidPeriodError('timeZone must be an IANA time zone, got "Mars/Olympus"'),
    );
  });

  it('rejects an unknown period name and an invalid now', () => {
    expect(() => reportPeriod({ period: 'hourly' } as never, 'UTC')).toThrow(
      new InvalidPeriodError('period must be one of daily, weekly, monthly, got "hourly"'),
    );
    expect(() => reportPeriod({ period: 'daily' }, 'UTC', new Date('nope'))).toThrow(
      new InvalidPeriodError('now must be a valid date'),
    );
  });
});

describe('day partitions', () => {
  it('lists every UTC day from the first to the last partition, across month and year ends', () => {
    expect(dayPartitions({ fromDay: '2028-02-28', toDay: '2028-03-01' })).toEqual([
      '2028-02-28',
      '2028-02-29',
      '2028-03-01',
    ]);
    expect(
      dayPartitions(reportPeriod({ period: 'monthly' }, 'Asia/Tokyo', new Date('2027-01-05T00:00:00Z'))),
    ).toEqual([
      '2026-11-30',
      ...Array.from({ length: 31 }, (_, i) => `2026-12-${String(i + 1).padStart(2, '0')}`),
    ]);
  });
});
