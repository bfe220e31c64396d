import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  CloudWatchLogsClient,
  CreateLogGroupCommand,
  PutRetentionPolicyCommand,
  ResourceAlreadyExistsException,
} from '@aws-sdk/client-cloudwatch-logs';
import { mockClient } from 'aws-sdk-client-mock';
import {
  type CustomResourceEvent,
  createRetentionHandler,
  PHYSICAL_RESOURCE_ID,
  putResponse,
} from '../../../tasks/postgres-log-retention/handler';

const logs = mockClient(CloudWatchLogsClient);
const GROUPS = ['/aws/rds/cluster/orders-db/postgresql', '/aws/rds/cluster/billing-db/postgresql'];
const event = (overrides: Partial<CustomResourceEvent> = {}): CustomResourceEvent => ({
  RequestType: 'Create',
  ResponseURL: 'https://cloudformation-custom-resource-response.example/abc',
  StackId: 'arn:aws:cloudformation:eu-west-1:123456789012:stack/aurora-audit/1',
  RequestId: 'req-1',
  LogicalResourceId: 'PostgresLogRetention',
  ResourceProperties: { ServiceToken: 'arn:x', LogGroupNames: GROUPS, RetentionInDays: '365' },
  ...overrides,
});

function run(e: CustomResourceEvent) {
  const responses: { url: string; body: Record<string, unknown> }[] = [];
  const handler = createRetentionHandler({
    client: new CloudWatchLogsClient({ region: 'eu-west-1' }),
    respond: async (url, body) => {
      responses.push({ url, body: JSON.parse(body) });
    },
    logger: { info: () => undefined, error: () => undefined },
  });
  return handler(e).then(() => responses);
}

beforeEach(() => logs.reset());

describe('the PostgreSQL log retention custom resource', () => {
  it('creates the missing groups, sets the retention of every group, and answers SUCCESS', async () => {
    logs
      .on(CreateLogGroupCommand, { logGroupName: GROUPS[0] })
      .rejects(new ResourceAlreadyExistsException({ message: 'exists', $metadata: {} }));
    logs.on(CreateLogGroupCommand, { logGroupName: GROUPS[1] }).resolves({});
    logs.on(PutRetentionPolicyCommand).resolves({});
    const [response] = await run(event());
    expect(logs.commandCalls(PutRetentionPolicyCommand).map((c) => c.args[0].input)).toEqual(
      GROUPS.map((logGroupName) => ({ logGroupName, retentionInDays: 365 })),
    );
    expect(response).toEqual({
      url: event().ResponseURL,
      body: {
        Status: 'SUCCESS',
        Reason: 'retention 365 days on 2 log groups (1 created)',
        PhysicalResourceId: PHYSICAL_RESOURCE_ID,
        StackId: event().StackId,
        RequestId: 'req-1',
        LogicalResourceId: 'PostgresLogRetention',
      },
    });
  });

  it('keeps the physical id on Update and touches no group on Delete (they belong to RDS)', async () => {
    logs.on(CreateLogGroupCommand).resolves({});
    logs.on(PutRetentionPolicyCommand).resolves({});
    const [updated] = await run(event({ RequestType: 'Update', PhysicalResourceId: 'kept-id' }));
    expect(updated!.body).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: 'kept-id' });
    logs.reset();
    const [deleted] = await run(event({ RequestType: 'Delete', PhysicalResourceId: 'kept-id' }));
    expect(deleted!.body).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: 'kept-id' });
    expect(logs.calls()).toHaveLength(0);
  });

  it('answers FAILED naming the group and the cause when a retention cannot be set', async () => {
    logs.on(CreateLogGroupCommand).resolves({});
    logs.on(PutRetentionPolicyCommand, { logGroupName: GROUPS[1] }).rejects(
      Object.assign(new Error('not authorized to perform logs:PutRetentionPolicy'), {
        name: 'AccessDeniedException',
      }),
    );
    logs.on(PutRetentionPolicyCommand, { logGroupName: GROUPS[0] }).resolves({});
    const [response] = await run(event());
    expect(response!.body).toMatchObject({
      Status: 'FAILED',
      Reason: `LogRetentionFailedError: cannot set the retention of ${GROUPS[1]}: AccessDeniedException: not authorized to perform logs:PutRetentionPolicy`,
    });
  });

  it.each([
    [{ LogGroupNames: [], RetentionInDays: '365' }, /LogGroupNames must be a non-empty list/],
    [
      { LogGroupNames: GROUPS, RetentionInDays: 'forever' },
      /RetentionInDays must be a positive whole number, got "forever"/,
    ],
  ])('answers FAILED on invalid properties %j', async (ResourceProperties, reason) => {
    const [response] = await run(event({ ResourceProperties }));
    expect(response!.body.Status).toBe('FAILED');
    expect(response!.body.Reason).toMatch(reason);
    expect(logs.calls()).toHaveLength(0);
  });

  it('PUTs the response with no content type, as the pre-signed URL expects', async () => {
    const received: { method?: string; type?: string; length?: string; body: string }[] = [];
    const server = createServer((req: IncomingMessage, res) => {
      let body = '';
      req.on('data', (chunk) => {
        body += chunk;
      });
      req.on('end', () => {
        received.push({
          method: req.method,
          type: req.headers['content-type'],
          length: req.headers['content-length'],
          body,
        });
        res.end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = server.address() as AddressInfo;
      await putResponse(`http://127.0.0.1:${port}/signed?x=1`, '{"Status":"SUCCESS"}');
      expect(received).toEqual([{ method: 'PUT', type: '', length: '20', body: '{"Status":"SUCCESS"}' }]);
    } finally {
      server.close();
    }
  });
});
