import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { configObjectSchema } from '../../infra/config/schema';
import { AUDIT_EVENT_FIELDS } from '../../tasks/core/audit-event';

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

  it('gives the two commands', () => {
    expect(readme).toContain('npm ci && npm run synth');
    expect(readme).toContain('npm test');
  });
});
