import { execFile } from 'node:child_process';
import { request as httpRequest } from 'node:http';
import { createServer } from 'node:net';
import { networkInterfaces } from 'node:os';
import type { AddressInfo } from 'node:net';
import { DescribeTableCommand, DescribeTimeToLiveCommand } from '@aws-sdk/client-dynamodb';
import { SendEmailCommand, SESClient } from '@aws-sdk/client-ses';
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../../infra/local/stack';
import { tableSchema } from '../../shared/table';
import { getWithHost } from '../support/http';
import { allowedOrigin, api, expectProblem, foreignOrigin, stack, tableClient } from './support';

/** What `npm start` promises besides the API itself: docs/local.md. */
describe('the local stack', () => {
  it('answers GET /health with 200', async () => {
    // Act
    const response = await api('/health');

    // Assess
    expect(response.status).toBe(200);
  });

  it.each(['/sign-up', '/verify?token=anything', '/reset-password?token=anything', '/confirm-email?token=anything', '/forgot-password'])(
    'serves the sign-in pages at / and at %s, where the card switches and the mails link',
    async (path) => {
      // Act
      const root = await api('/');
      const page = await api(path);

      // Assess
      expect(root.status).toBe(200);
      expect(root.headers.get('content-type')).toMatch(/^text\/html/);
      expect(page.headers.get('referrer-policy')).toBe('no-referrer');
      expect(page.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
      expect(await page.text()).toBe(await root.text());
    },
  );

  it("relays the mail store to the demo's dev inbox on the page's own origin", async () => {
    // Prepare: a mail straight into the local SES, whatever the API sends.
    const to = `inbox-${Date.now()}@example.com`;
    const ses = new SESClient({ endpoint: stack.mailUrl, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
    await ses.send(
      new SendEmailCommand({
        Source: 'no-reply@example.com',
        Destination: { ToAddresses: [to] },
        Message: { Subject: { Data: 'Hello inbox' }, Body: { Text: { Data: 'Open http://localhost/verify?token=abc' } } },
      }),
    );
    ses.destroy();

    // Act
    const relayed = await api('/dev/mails');

    // Assess
    expect(relayed.status).toBe(200);
    const { mails } = (await relayed.json()) as { mails: unknown[] };
    expect(mails).toContainEqual({ to: [to], subject: 'Hello inbox', text: 'Open http://localhost/verify?token=abc', at: expect.any(Number) });
  });

  it('answers neither the API nor the mail store to a Host other than the loopback names (DNS rebinding)', async () => {
    // Prepare: what a page on a rebound evil.example would send to 127.0.0.1.
    const apiPort = new URL(stack.apiUrl).port;
    const mailPort = new URL(stack.mailUrl).port;

    // Act
    const api421 = await getWithHost(`http://127.0.0.1:${apiPort}/.well-known/jwks.json`, `evil.example:${apiPort}`);
    const mail421 = await getWithHost(`http://127.0.0.1:${mailPort}/store`, `evil.example:${mailPort}`);
    const apiLocal = await getWithHost(`http://127.0.0.1:${apiPort}/.well-known/jwks.json`, `127.0.0.1:${apiPort}`);
    const mailLocal = await getWithHost(`http://127.0.0.1:${mailPort}/store`, `localhost:${mailPort}`);

    // Assess
    expect([api421.status, mail421.status]).toEqual([421, 421]);
    expect(JSON.parse(api421.body)).toMatchObject({ code: 'misdirected_request' });
    expect(mail421.body).not.toContain('emails');
    expect([apiLocal.status, mailLocal.status]).toEqual([200, 200]);
  });

  it('shows the mails in the viewer and as JSON', async () => {
    // Act
    const viewer = await fetch(`${stack.mailUrl}/`);
    const store = await fetch(`${stack.mailUrl}/store`);

    // Assess
    expect(viewer.status).toBe(200);
    expect(await store.json()).toMatchObject({ emails: expect.any(Array) });
  });

  it('answers the API on 127.0.0.1 as well as on localhost', async () => {
    // Act
    const response = await fetch(`${stack.apiUrl.replace('localhost', '127.0.0.1')}/health`);

    // Assess
    expect(response.status).toBe(200);
  });

  it('answers CORS preflights for both local origins and no other', async () => {
    // Prepare
    const preflight = (origin: string) =>
      api('/auth/refresh', { method: 'OPTIONS', headers: { Origin: origin, 'Access-Control-Request-Method': 'POST' } });
    const otherLocalOrigin = allowedOrigin.replace('localhost', '127.0.0.1');

    // Act
    const [local, other, foreign] = await Promise.all([preflight(allowedOrigin), preflight(otherLocalOrigin), preflight(foreignOrigin)]);

    // Assess
    expect(local.headers.get('access-control-allow-origin')).toBe(allowedOrigin);
    expect(other.headers.get('access-control-allow-origin')).toBe(otherLocalOrigin);
    expect(local.headers.get('access-control-allow-credentials')).toBe('true');
    expect(foreign.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('answers an unknown route with 404 not_found problem+json', async () => {
    // Act
    const response = await api('/admin', { method: 'POST' });

    // Assess
    await expectProblem(response, 404, 'not_found');
  });

  it('creates the table with the keys, indexes and TTL of the stack', async () => {
    // Act
    const { Table } = await tableClient().send(new DescribeTableCommand({ TableName: stack.tableName }));
    const { TimeToLiveDescription } = await tableClient().send(new DescribeTimeToLiveCommand({ TableName: stack.tableName }));

    // Assess
    expect(Table?.KeySchema).toEqual([
      { AttributeName: tableSchema.partitionKey, KeyType: 'HASH' },
      { AttributeName: tableSchema.sortKey, KeyType: 'RANGE' },
    ]);
    expect(Table?.GlobalSecondaryIndexes?.map((index) => index.IndexName).sort()).toEqual([tableSchema.sessionsByUserIndex.indexName, tableSchema.usersByEmailIndex.indexName].sort());
    expect(TimeToLiveDescription).toMatchObject({ AttributeName: tableSchema.timeToLiveAttribute, TimeToLiveStatus: 'ENABLED' });
  });
});

/** The first address of this machine that is not loopback, where someone on the network would knock. */
function networkAddress(): string | undefined {
  return Object.values(networkInterfaces())
    .flat()
    .find((address) => address && address.family === 'IPv4' && !address.internal)?.address;
}

/**
 * ListTables as any HTTP client can send it, without the SDK: DynamoDB Local reads only the access
 * key id from the Authorization header and checks no signature, so a guessed key id is all an
 * attacker on the network (or a page rebound to this machine, with its own Host) could send.
 */
function listTablesAs(accessKeyId: string, options: { address: string; host: string }): Promise<{ status: number; body: string }> {
  const port = new URL(stack.ddbEndpoint).port;
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      { host: options.address, port, method: 'POST', path: '/', headers: {
        Host: options.host,
        'Content-Type': 'application/x-amz-json-1.0',
        'X-Amz-Target': 'DynamoDB_20120810.ListTables',
        'X-Amz-Date': '20260101T000000Z',
        Authorization: `AWS4-HMAC-SHA256 Credential=${accessKeyId}/20260101/us-east-1/dynamodb/aws4_request, SignedHeaders=host;x-amz-date, Signature=${'0'.repeat(64)}`,
      } },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (body += chunk));
        res.on('end', () => resolve({ status: res.statusCode!, body }));
      },
    );
    req.on('error', reject);
    req.end('{}');
  });
}

describe('the breached-passwords stand-in', () => {
  it('answers range queries for the loopback names only (DNS rebinding)', async () => {
    // Act
    const local = await getWithHost(`${stack.breachedPasswordsUrl}/range/ABCDE`, '127.0.0.1');
    const rebound = await getWithHost(`${stack.breachedPasswordsUrl}/range/ABCDE`, 'rebound.attacker.example');

    // Assess
    expect(local.status).toBe(200);
    expect(rebound.status).toBe(421);
  });

  it('is not reachable from the network, only on loopback', async () => {
    // Prepare
    const address = networkAddress();
    const port = new URL(stack.breachedPasswordsUrl).port;

    // Act
    const reached = address ? await fetch(`http://${address}:${port}/range/ABCDE`).then(() => true, () => false) : false;

    // Assess
    expect(reached).toBe(false);
  });
});

describe("the local stack's data in DynamoDB Local", () => {
  // DynamoDB Local cannot be bound to loopback (its jar has no such option): it is reachable from
  // the network, so the table lives in a namespace only the stack can name (docs/local.md).
  const from = { address: networkAddress() ?? '127.0.0.1', host: 'rebound.attacker.example' };

  it('is under a random 128-bit access key id of this start, not a default anyone could guess', () => {
    expect(stack.ddbCredentials.accessKeyId).toMatch(/^LOCAL[0-9A-F]{32}$/);
  });

  it('is reached from the network with the stack’s own key (the control: only the key makes the difference below)', async () => {
    // Act
    const reply = await listTablesAs(stack.ddbCredentials.accessKeyId, from);

    // Assess
    expect(reply.status).toBe(200);
    expect(JSON.parse(reply.body)).toEqual({ TableNames: [stack.tableName] });
  });

  it.each(['local', 'AKIAIOSFODNN7EXAMPLE', 'test', 'dummy'])('shows nothing to a request from the network with a foreign Host under the key id %s', async (guess) => {
    // Act
    const reply = await listTablesAs(guess, from);

    // Assess
    expect(reply.status).toBe(200);
    expect(JSON.parse(reply.body)).toEqual({ TableNames: [] });
  });

  it('lets no other key read or write the table: it does not exist there', async () => {
    // Prepare
    const guessed = tableClient({ ddbEndpoint: stack.ddbEndpoint, ddbCredentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
    const key = { pk: 'RESET#attacker', sk: 'RESET' };

    // Act
    const read = await guessed.send(new GetCommand({ TableName: stack.tableName, Key: { pk: 'USER#anyone', sk: 'USER' } })).catch((error: Error) => error);
    const write = await guessed.send(new PutCommand({ TableName: stack.tableName, Item: { ...key, userId: 'victim' } })).catch((error: Error) => error);

    // Assess
    expect(read).toMatchObject({ name: 'ResourceNotFoundException' });
    expect(write).toMatchObject({ name: 'ResourceNotFoundException' });
    const { Item } = await tableClient().send(new GetCommand({ TableName: stack.tableName, Key: key }));
    expect(Item).toBeUndefined();
  });
});

/** `npm start`'s entry run with a given environment, for the failures it must explain in one line. */
function runStart(env: Record<string, string>): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile(process.execPath, ['--import', 'tsx', 'infra/local/start.ts'], { cwd: repoRoot, env: { ...process.env, ...env }, timeout: 60_000 }, (_error, _stdout, stderr) =>
      resolve({ code: child.exitCode, stderr }),
    );
  });
}

const failureLine = (stderr: string) => stderr.split('\n').find((line) => line.startsWith('Cannot start the local stack'));

describe('npm start refusing to start', () => {
  it('says in one line to install Java 17+ when there is no java', async () => {
    // Act
    const { code, stderr } = await runStart({ PATH: '/nonexistent' });

    // Assess
    expect(code).toBe(1);
    expect(failureLine(stderr)).toMatch(/Java.*17.*openjdk-17-jre-headless/);
  });

  it('says which port is taken when PORT is busy, before starting anything else', async () => {
    // Prepare
    const squatter = createServer();
    await new Promise<void>((resolve) => squatter.listen(0, '127.0.0.1', resolve));
    const port = (squatter.address() as AddressInfo).port;

    // Act
    const { code, stderr } = await runStart({ PORT: String(port), MAIL_PORT: '0', DDB_PORT: '0' });
    squatter.close();

    // Assess
    expect(code).toBe(1);
    expect(failureLine(stderr)).toContain(`port ${port}`);
  });

  it('says in one line that the mail server cannot start when MAIL_PORT is busy', async () => {
    // Prepare
    const squatter = createServer();
    await new Promise<void>((resolve) => squatter.listen(0, '127.0.0.1', resolve));
    const port = (squatter.address() as AddressInfo).port;

    // Act
    const { code, stderr } = await runStart({ PORT: '0', MAIL_PORT: String(port), DDB_PORT: '0' });
    squatter.close();

    // Assess
    expect(code).toBe(1);
    expect(failureLine(stderr)).toBe(`Cannot start the local stack: Mail server (MAIL_PORT): port ${port} on 127.0.0.1 is already in use; choose another one`);
  });

  it('says in one line that the OpenID provider cannot start when IDP_PORT is busy', async () => {
    // Prepare
    const squatter = createServer();
    await new Promise<void>((resolve) => squatter.listen(0, '127.0.0.1', resolve));
    const port = (squatter.address() as AddressInfo).port;

    // Act
    const { code, stderr } = await runStart({ PORT: '0', MAIL_PORT: '0', DDB_PORT: '0', HIBP_PORT: '0', IDP_PORT: String(port) });
    squatter.close();

    // Assess
    expect(code).toBe(1);
    expect(failureLine(stderr)).toBe(`Cannot start the local stack: Identity provider (IDP_PORT): port ${port} on 127.0.0.1 is already in use; choose another one`);
  });
});
