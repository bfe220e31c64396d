import { InvalidReportSettingsError, readReportSettings } from '../../../tasks/render-report/settings';
import { ENV } from './report-world';

describe('the report Lambda settings', () => {
  it('reads the environment the workflow construct sets', () => {
    const s = readReportSettings(ENV);
    expect(s.CLUSTERS.map((c) => c.identifier)).toEqual(['orders-db', 'billing-db']);
    expect(s.RECIPIENTS).toEqual(['compliance@example.com', 'dba@example.com']);
    expect(s.MAX_ROWS_PER_SECTION).toBe(50);
    expect(s.REDACTION_PATTERNS).toEqual(['token=(\\w+)']);
  });

  it('sends from aurora-audit@<domain> when the SES identity is a domain, else from the address', () => {
    expect(readReportSettings(ENV).SENDER).toBe('aurora-audit@reports.example.com');
    expect(readReportSettings({ ...ENV, SENDER: 'audit@example.org' }).SENDER).toBe('audit@example.org');
  });

  it('defaults the optional settings', () => {
    const { TIME_ZONE: _tz, MAX_ROWS_PER_SECTION: _m, REDACTION_PATTERNS: _r, ...rest } = ENV;
    const s = readReportSettings(rest);
    expect(s).toMatchObject({
      TIME_ZONE: 'UTC',
      MAX_ROWS_PER_SECTION: 50,
      REDACTION_PATTERNS: [],
      MAX_EMAIL_BYTES: 7_000_000,
    });
  });

  it('names every bad variable in one error', () => {
    const read = () =>
      readReportSettings({
        ...ENV,
        CLUSTERS: 'not json',
        RECIPIENTS: JSON.stringify(['nobody']),
        TIME_ZONE: 'Mars/Olympus',
        MAX_ROWS_PER_SECTION: '0',
        SENDER: 'not a sender',
      });
    expect(read).toThrow(InvalidReportSettingsError);
    expect(read).toThrow(
      /CLUSTERS: must be JSON.*RECIPIENTS\.0: must be an email address.*SENDER.*TIME_ZONE.*MAX_ROWS_PER_SECTION/,
    );
  });

  it('refuses a redaction pattern that is not a regular expression', () => {
    expect(() => readReportSettings({ ...ENV, REDACTION_PATTERNS: JSON.stringify(['(']) })).toThrow(
      /REDACTION_PATTERNS: redaction pattern "\("/,
    );
  });
});
