import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { configObjectSchema } from '../../infra/config/schema';
import { AUDIT_EVENT_FIELDS } from '../../tasks/core/audit-event';
import { REPORT_ERROR_NAMES } from '../../workflows/compliance-report/errors';

const readme = readFileSync(join(__dirname, '..', '..', 'README.md'), 'utf8');

describe('the README', () => {
  it.each(AUDIT_EVENT_FIELDS.map((f) => f.name))(
    'documents the event field %s in the event-model table',
    (name) => {
      expect(readme).toMatch(new RegExp(`^\\| \`${name}\`\\s*\\|`, 'm'));
    },
  );

  it.each(Object.keys(configObjectSchema.shape))('documents the configuration field %s', (key) => {
    expect(readme).toMatch(new RegExp(`^\\| \`${key}[.\`\\[]`, 'm'));
  });

  it.each(REPORT_ERROR_NAMES)('documents the report workflow error %s in its section', (name) => {
    const start = readme.indexOf('## Report workflow');
    const section = readme.slice(start, readme.indexOf('\n## ', start + 5));
    expect(start).toBeGreaterThan(0);
    expect(section).toMatch(new RegExp(`^\\| \`${name}\``, 'm'));
  });

  it.each(['report-1200.png', 'report-400.png'])(
    'shows the report screenshot %s the test suite renders, and the file is there',
    (file) => {
      expect(readme).toMatch(new RegExp(`(\\]\\(|src=")docs/${file.replace('.', '\\.')}`));
      expect(existsSync(join(__dirname, '..', '..', 'docs', file))).toBe(true);
    },
  );

  it('gives the two commands', () => {
    expect(readme).toContain('npm ci && npm run synth');
    expect(readme).toContain('npm test');
  });
});
