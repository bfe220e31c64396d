import { checkClusterList, checkSubjectPrefix, type Fail } from '../../../workflows/shared/validate';

const fail: Fail = (message) => {
  throw new Error(`Workflow: ${message}`);
};
const RESOURCE_ID = `cluster-${'A'.repeat(26)}`;

describe('the checks the workflow constructs share', () => {
  it('accepts clusters listed once with valid identifiers and resource ids, or none where the list has none', () => {
    expect(() =>
      checkClusterList(
        [
          { identifier: 'orders-db', resourceId: RESOURCE_ID },
          { identifier: 'billing', resourceId: RESOURCE_ID },
        ],
        fail,
      ),
    ).not.toThrow();
    expect(() => checkClusterList([{ identifier: 'orders-db' }], fail)).not.toThrow();
  });

  it.each([
    [[], 'Workflow: clusters must list at least one cluster'],
    [
      [{ identifier: '1bad' }],
      'Workflow: clusters[0].identifier must be a DB cluster identifier, got "1bad"',
    ],
    [[{ identifier: 'a' }, { identifier: 'a' }], 'Workflow: clusters[1].identifier "a" is listed twice'],
    [
      [{ identifier: 'a', resourceId: 'cluster-short' }],
      'Workflow: clusters[0].resourceId must be "cluster-" and 26 upper-case letters or digits, got "cluster-short"',
    ],
  ])('refuses %j, naming the bad value', (clusters, message) => {
    expect(() => checkClusterList(clusters, fail)).toThrow(message);
  });

  it('says what the construct needs when the list is empty', () => {
    expect(() => checkClusterList([], fail, 'clusters must list at least one cluster with a canary')).toThrow(
      'Workflow: clusters must list at least one cluster with a canary',
    );
  });

  it('defaults the subject prefix and refuses one that is empty or over 24 characters', () => {
    expect(checkSubjectPrefix(undefined, fail)).toBe('aurora-audit');
    expect(checkSubjectPrefix('x'.repeat(24), fail)).toBe('x'.repeat(24));
    expect(() => checkSubjectPrefix('', fail)).toThrow(
      'Workflow: subjectPrefix must be 1-24 characters, got ""',
    );
    expect(() => checkSubjectPrefix('x'.repeat(25), fail)).toThrow('subjectPrefix must be 1-24 characters');
  });
});
