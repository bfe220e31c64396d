import { MAX_REPORT_SUBJECT, reportSubject, type SubjectInput } from '../../../../tasks/core/report/subject';

const base: SubjectInput = {
  prefix: 'aurora-audit',
  clusterNames: ['orders-db'],
  firstDate: '2026-11-23',
  lastDate: '2026-11-23',
  privilegeChanges: 3,
  tamperingEvents: 1,
  failedSections: 0,
};

describe('the report subject', () => {
  it('states the cluster, the period and the findings with singular and plural', () => {
    expect(reportSubject(base)).toBe(
      '[aurora-audit] Aurora audit orders-db 2026-11-23–2026-11-23: 3 privilege changes, 1 tampering statement',
    );
    expect(reportSubject({ ...base, privilegeChanges: 1, tamperingEvents: 2 })).toMatch(
      /: 1 privilege change, 2 tampering statements$/,
    );
  });

  it('says "no findings" when there are none, and leaves out a zero count', () => {
    expect(reportSubject({ ...base, privilegeChanges: 0, tamperingEvents: 0 })).toMatch(/: no findings$/);
    expect(reportSubject({ ...base, tamperingEvents: 0 })).toMatch(/: 3 privilege changes$/);
  });

  it('never says "no findings" when a section failed: the failure is stated instead', () => {
    expect(reportSubject({ ...base, privilegeChanges: null, tamperingEvents: 0, failedSections: 1 })).toMatch(
      /: 1 section failed$/,
    );
    expect(reportSubject({ ...base, failedSections: 2 })).toMatch(
      /1 tampering statement, 2 sections failed$/,
    );
  });

  it('names the clusters from the configuration, or counts them when the names do not fit', () => {
    expect(reportSubject({ ...base, clusterNames: ['orders-db', 'billing-db'] })).toContain(
      'Aurora audit orders-db, billing-db 2026',
    );
    const many = Array.from({ length: 30 }, (_, i) => `cluster-name-number-${i}`);
    const subject = reportSubject({ ...base, clusterNames: many });
    expect(subject).toContain('Aurora audit 30 clusters 2026-11-23');
    expect(subject.length).toBeLessThanOrEqual(MAX_REPORT_SUBJECT);
  });

  it('stays on one line and within the length limit whatever the prefix holds', () => {
    const subject = reportSubject({ ...base, prefix: 'ops\r\nBcc: x@evil', clusterNames: ['a'.repeat(400)] });
    expect(subject).not.toMatch(/[\r\n]/);
    expect(subject.length).toBeLessThanOrEqual(MAX_REPORT_SUBJECT);
    expect(subject.startsWith('[ops Bcc: x@evil] Aurora audit 1 cluster ')).toBe(true);
  });
});
