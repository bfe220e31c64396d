import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { configObjectSchema } from '../../infra/config/schema';
import { AUDIT_EVENT_FIELDS } from '../../tasks/core/audit-event';
import { REPORT_ERROR_NAMES } from '../../workflows/compliance-report/errors';

const page = (...path: string[]) => readFileSync(join(__dirname, '..', '..', ...path), 'utf8');
const readme = page('README.md');
const eventModel = page('docs', 'event-model.md');
const configuration = page('docs', 'configuration.md');
const reports = page('docs', 'reports.md');

describe('the README', () => {
  it.each(AUDIT_EVENT_FIELDS.map((f) => f.name))(
    'documents the event field %s in the event-model table',
    (name) => {
      expect(eventModel).toMatch(new RegExp(`^\\| \`${name}\`\\s*\\|`, 'm'));
    },
  );

  it.each(Object.keys(configObjectSchema.shape))('documents the configuration field %s', (key) => {
    expect(configuration).toMatch(new RegExp(`^\\| \`${key}[.\`\\[]`, 'm'));
  });

  it.each(REPORT_ERROR_NAMES)('documents the report workflow error %s in its section', (name) => {
    const start = reports.indexOf('## Report workflow');
    const section = reports.slice(start, reports.indexOf('\n## ', start + 5));
    expect(start).toBeGreaterThan(0);
    expect(section).toMatch(new RegExp(`^\\| \`${name}\``, 'm'));
  });

  it.each(['report-1200.png', 'report-400.png'])(
    'shows the report screenshot %s the test suite renders, and the file is there',
    (file) => {
      // docs/reports.md shows the screenshot beside it: the path relative to the page is the file name.
      expect(reports).toMatch(new RegExp(`(\\]\\(|src=")${file.replace('.', '\\.')}`));
      expect(existsSync(join(__dirname, '..', '..', 'docs', file))).toBe(true);
    },
  );

  it('gives the two commands', () => {
    expect(readme).toContain('npm ci && npm run synth');
    expect(readme).toContain('npm test');
  });
});
