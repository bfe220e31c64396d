import {
  createRedactor,
  InvalidRedactionPatternError,
  REDACTED,
  redactFields,
} from '../../../tasks/core/redact';

const redact = createRedactor();

describe('password redaction', () => {
  it.each([
    [
      "CREATE ROLE app_user_new LOGIN PASSWORD 'S3cret!'",
      'CREATE ROLE app_user_new LOGIN PASSWORD <REDACTED>',
    ],
    ["create user bob with password 'S3cret!'", 'create user bob with password <REDACTED>'],
    [
      "ALTER ROLE app_user WITH ENCRYPTED PASSWORD 'S3cret!' VALID UNTIL '2027-01-01'",
      "ALTER ROLE app_user WITH ENCRYPTED PASSWORD <REDACTED> VALID UNTIL '2027-01-01'",
    ],
    ["ALTER USER bob UNENCRYPTED PASSWORD 'S3cret!'", 'ALTER USER bob UNENCRYPTED PASSWORD <REDACTED>'],
    ["alter user bob password 'it''s S3cret!' login", 'alter user bob password <REDACTED> login'],
    ["ALTER ROLE bob PASSWORD E'S3c\\'ret!' LOGIN", 'ALTER ROLE bob PASSWORD <REDACTED> LOGIN'],
    ["ALTER ROLE bob PASSWORD U&'S3cret!'", 'ALTER ROLE bob PASSWORD <REDACTED>'],
    ['ALTER ROLE bob PASSWORD $$S3cret!$$', 'ALTER ROLE bob PASSWORD <REDACTED>'],
    ['ALTER ROLE bob PASSWORD $pw$S3c$$ret!$pw$ LOGIN', 'ALTER ROLE bob PASSWORD <REDACTED> LOGIN'],
    ["ALTER ROLE bob PASSWORD\n\t'S3cret!'", 'ALTER ROLE bob PASSWORD\n\t<REDACTED>'],
    ["ALTER ROLE bob PASSWORD /* new */ 'S3cret!'", 'ALTER ROLE bob PASSWORD /* new */ <REDACTED>'],
    ["ALTER ROLE bob PASSWORD 'S3cret!-cut-off-by-trunc", 'ALTER ROLE bob PASSWORD <REDACTED>'],
    ["ALTER ROLE bob PASSWORD 'md5a4b1c2d3e4f5061728394a5b6c7d8e9f'", 'ALTER ROLE bob PASSWORD <REDACTED>'],
    [
      "CREATE ROLE a PASSWORD 'x1'; CREATE ROLE b PASSWORD 'x2';",
      'CREATE ROLE a PASSWORD <REDACTED>; CREATE ROLE b PASSWORD <REDACTED>;',
    ],
  ])('redacts %j', (input, expected) => {
    const out = redact(input);
    expect(out).toBe(expected);
    expect(out).not.toMatch(/S3c|x1'|x2'|md5a4/);
  });

  it.each([
    'ALTER ROLE bob PASSWORD NULL',
    'SELECT password_changed_at FROM accounts',
    "UPDATE users SET pw_hint = 'x'",
    'ALTER ROLE bob PASSWORD <REDACTED>',
  ])('leaves %j alone', (input) => {
    expect(redact(input)).toBe(input);
  });

  it('applies configured extra patterns, replacing only the first group when there is one', () => {
    const r = createRedactor(['api_key=(\\w+)', 'AKIA[0-9A-Z]{16}']);
    expect(r("SELECT set_config('x', 'api_key=abc123', false), 'AKIAABCDEFGHIJKLMNOP'")).toBe(
      `SELECT set_config('x', 'api_key=${REDACTED}', false), '${REDACTED}'`,
    );
  });

  it('names a bad extra pattern', () => {
    expect(() => createRedactor(['('])).toThrow(InvalidRedactionPatternError);
    expect(() => createRedactor(['('])).toThrow('redaction pattern "("');
  });

  it('redacts statement, parameters and error message of an event and leaves nulls', () => {
    const r = createRedactor(['tok_\\w+']);
    const out = redactFields(r, {
      commandText: "ALTER ROLE a PASSWORD 'p'",
      parameters: '["tok_123"]',
      errorMessage: null,
      user: 'a',
    });
    expect(out).toEqual({
      commandText: `ALTER ROLE a PASSWORD ${REDACTED}`,
      parameters: `["${REDACTED}"]`,
      errorMessage: null,
      user: 'a',
    });
  });
});
