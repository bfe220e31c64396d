import { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as rds from 'aws-cdk-lib/aws-rds';
import { PgAuditParameterGroup } from '../../../infra/constructs/pgaudit-parameter-group';

const version = rds.AuroraPostgresEngineVersion.VER_16_4;

describe('the pgAudit parameter group', () => {
  it('preloads pgaudit, sets the rds_pgaudit role and the log classes', () => {
    const stack = new Stack();
    new PgAuditParameterGroup(stack, 'Pg', {
      engineVersion: version,
      log: ['role', 'ddl'],
      extraPreloadLibraries: ['pg_stat_statements'],
    });
    Template.fromStack(stack).hasResourceProperties('AWS::RDS::DBClusterParameterGroup', {
      Family: 'aurora-postgresql16',
      Parameters: {
        shared_preload_libraries: 'pgaudit,pg_stat_statements',
        'pgaudit.role': 'rds_pgaudit',
        'pgaudit.log': 'role,ddl',
      },
    });
  });

  it('names a log class pgAudit does not know', () => {
    expect(
      () => new PgAuditParameterGroup(new Stack(), 'Pg', { engineVersion: version, log: ['roles'] }),
    ).toThrow('log class "roles" is not one of read, write, function, role, ddl, misc, misc_set, all, none');
  });

  it('refuses the pgAudit parameters in extraParameters', () => {
    expect(
      () =>
        new PgAuditParameterGroup(new Stack(), 'Pg', {
          engineVersion: version,
          extraParameters: { 'pgaudit.log': 'all' },
        }),
    ).toThrow('set pgaudit.log through its own property');
  });
});
