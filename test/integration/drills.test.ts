import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  newVerifiedAccount, openSignupLink, refreshSession, signupTokenOf, storedMails, uniqueEmail, type Session,
} from '../../bench/local-stack';
import { startLocalStack, type ChildLocalStack } from '../../infra/local/stack';
import type { RotationPolicy } from '../../infra/keys/rotation';
import { generateKeyEnvironment } from '../../shared/keygen';
import { assertDeclaredResponse } from './contract';
import { integrationSettings } from './global-setup';

/**
 * Fault drills (docs/performance.md, "Drills"): the local stack of this file alone, so taking
 * SES away, pausing DynamoDB Local or rotating the signing key disturbs no other test. Each drill
 * is bounded in time and judged by outcomes (mails, links, replies), never by how long they took.
 */
const ACCESS_TOKEN_TTL_SECONDS = 5;
/** jsonwebtoken's clockTolerance in shared/tokens/access-token.ts. */
const CLOCK_SKEW_SECONDS = 30;
const DEADLINE_MS = 60_000;

let stack: ChildLocalStack;

beforeAll(async () => {
  stack = await startLocalStack({
    quiet: true,
    env: { ...generateKeyEnvironment(), ...integrationSettings, ACCESS_TOKEN_TTL_SECONDS: String(ACCESS_TOKEN_TTL_SECONDS) },
  });
});

afterAll(async () => {
  // A drill that failed half-way must not leave Java frozen behind.
  if (stack?.javaPid !== undefined) resumeDynamoDb();
  await stack?.stop();
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const pauseDynamoDb = () => process.kill(stack.javaPid!, 'SIGSTOP');
const resumeDynamoDb = () => {
  try {
    process.kill(stack.javaPid!, 'SIGCONT');
  } catch {
    // Already gone.
  }
};

async function register(email: string): Promise<void> {
  const response = await fetch(`${stack.apiUrl}/auth/register`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ email }) });
  await assertDeclaredResponse('POST', '/auth/register', response.clone());
  expect(response.status).toBe(202);
}

function table(): DynamoDBDocumentClient {
  return DynamoDBDocumentClient.from(
    new DynamoDBClient({ endpoint: stack.ddbEndpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } }),
  );
}

/** The mail intents for these addresses, and how many of them the mailer has decided on (sentAt set). */
async function intentsFor(emails: readonly string[]): Promise<{ written: number; decided: number }> {
  const client = table();
  try {
    const { Items = [] } = await client.send(new ScanCommand({ TableName: stack.tableName, FilterExpression: 'begins_with(pk, :mail)', ExpressionAttributeValues: { ':mail': 'MAIL#' } }));
    const ours = Items.filter((item) => emails.includes(item.email as string));
    return { written: ours.length, decided: ours.filter((item) => item.sentAt !== undefined).length };
  } finally {
    client.destroy();
  }
}

async function until<T>(what: string, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + DEADLINE_MS;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`gave up waiting until ${what} after ${DEADLINE_MS / 1000} s (dead letters: ${(await stack.deadLetters()).length})`);
    await sleep(100);
  }
}

/**
 * Waits until the mailer has decided on every intent of these addresses (after which nothing more
 * can go out for them), then answers each address's mails.
 */
async function mailsOnceDecided(emails: readonly string[]): Promise<Map<string, string[]>> {
  await until(`the mailer decided on all ${emails.length} intents`, async () => {
    const { written, decided } = await intentsFor(emails);
    return written === emails.length && decided === written ? true : undefined;
  });
  const mails = await storedMails(stack.mailUrl);
  return new Map(emails.map((email) => [email, mails.filter((m) => m.destination.to.includes(email)).map((m) => signupTokenOf(m) ?? '')]));
}

/** Every address got exactly one mail, each with a sign-up link that opens to a session. */
async function expectOneWorkingLinkEach(emails: readonly string[]): Promise<void> {
  const mails = await mailsOnceDecided(emails);
  expect([...mails.values()].map((tokens) => tokens.length)).toEqual(emails.map(() => 1));
  const sessions = await Promise.all([...mails.values()].map(([token]) => openSignupLink(stack, token!)));
  expect(sessions.every((s) => s.accessToken.length > 0)).toBe(true);
  expect(await stack.deadLetters()).toEqual([]);
}

describe('drill: SES goes away for 30 s while people sign up', () => {
  it('delivers every sign-up mail exactly once after SES returns, every link works, and nothing is given up', { timeout: 150_000 }, async () => {
    // Prepare
    const emails = Array.from({ length: 20 }, () => uniqueEmail('ses-outage'));
    await stack.stopMail();
    const outageStarted = Date.now();

    // Act: sign-ups during the outage, then SES back after 30 s, on the same port.
    await Promise.all(emails.map(register));
    await sleep(30_000 - (Date.now() - outageStarted));
    expect(await intentsFor(emails)).toEqual({ written: 20, decided: 0 });
    await stack.startMail();

    // Assess
    await expectOneWorkingLinkEach(emails);
  });
});

describe('drill: DynamoDB pauses for 10 s while mail intents are pending', () => {
  it('loses no mail and sends none twice', { timeout: 120_000 }, async () => {
    // Prepare: intents the mailer cannot deliver yet (SES away), so they are pending when the table freezes.
    const emails = Array.from({ length: 10 }, () => uniqueEmail('ddb-pause'));
    await stack.stopMail();
    await Promise.all(emails.map(register));
    await until('the intents are written', async () => ((await intentsFor(emails)).written === emails.length ? true : undefined));

    // Act: DynamoDB Local frozen for 10 s; SES returns during the freeze, once any send begun before it has failed.
    pauseDynamoDb();
    try {
      await sleep(3_000);
      await stack.startMail();
      await sleep(7_000);
    } finally {
      resumeDynamoDb();
    }

    // Assess
    await expectOneWorkingLinkEach(emails);
  });
});

describe('drill: the signing key rotates while 20 clients refresh', () => {
  interface Jwks {
    keys: Array<{ kid: string }>;
  }

  const kidOf = (jwt: string) => (JSON.parse(Buffer.from(jwt.split('.')[0]!, 'base64url').toString()) as { kid: string }).kid;

  async function publishedKids(): Promise<string[]> {
    const response = await fetch(`${stack.apiUrl}/.well-known/jwks.json`);
    await assertDeclaredResponse('GET', '/.well-known/jwks.json', response.clone());
    return ((await response.json()) as Jwks).keys.map((k) => k.kid).sort();
  }

  async function meStatus(accessToken: string): Promise<number> {
    const response = await fetch(`${stack.apiUrl}/me`, { headers: { Authorization: `Bearer ${accessToken}` } });
    await response.arrayBuffer();
    return response.status;
  }

  it('fails no refresh, keeps old access tokens valid until they expire, and serves both keys across the overlap', { timeout: 150_000 }, async () => {
    // Prepare: the key manager's steps with the waits a drill can afford. The functions here re-read
    // keys at once, so publishing may lead signing by nothing; a retired key stays until every
    // token it signed is past its expiry and the verifier's clock tolerance.
    const policy: RotationPolicy = {
      rotateAfterMs: 365 * 86_400_000,
      publishLeadMs: 0,
      retireAfterMs: (ACCESS_TOKEN_TTL_SECONDS + CLOCK_SKEW_SECONDS + 1) * 1000,
    };
    const clients: Session[] = await Promise.all(Array.from({ length: 20 }, async () => (await newVerifiedAccount(stack, 'rotation')).session));
    const [oldKid] = await publishedKids();
    const failures: string[] = [];
    const kidsSeen = new Set<string>();
    let refreshes = 0;
    let running = true;
    const loops = clients.map(async (client) => {
      let current = client;
      while (running) {
        try {
          current = await refreshSession(stack, current.refreshToken);
          refreshes++;
          kidsSeen.add(kidOf(current.accessToken));
          const status = await meStatus(current.accessToken);
          if (status !== 200) failures.push(`GET /me with a fresh token: ${status}`);
        } catch (error) {
          failures.push(error instanceof Error ? error.message : String(error));
        }
        await sleep(200);
      }
    });
    // A token signed with the old key just before the rotation begins, by a session outside the loops.
    const { session: bystander } = await newVerifiedAccount(stack, 'rotation-old-token');
    const oldToken = (await refreshSession(stack, bystander.refreshToken)).accessToken;
    expect(kidOf(oldToken)).toBe(oldKid);
    const oldExpiry = (JSON.parse(Buffer.from(oldToken.split('.')[1]!, 'base64url').toString()) as { exp: number }).exp * 1000;

    // Act + Assess, step by step.
    try {
      const published = await stack.rotateKeys(policy, true);
      const newKid = published.publishedKids.find((kid) => kid !== oldKid)!;
      expect(published.signingKid).toBe(oldKid);
      expect(await publishedKids()).toEqual([oldKid!, newKid].sort());
      await sleep(1_000);

      const switched = await stack.rotateKeys(policy, false);
      expect(switched.signingKid).toBe(newKid);
      expect(await publishedKids()).toEqual([oldKid!, newKid].sort());
      await until('a client receives a token signed with the new key', async () => (kidsSeen.has(newKid) ? true : undefined));
      expect(await meStatus(oldToken)).toBe(200);

      // The old token, signed before the switch, verifies until it is past its expiry and the clock tolerance.
      while (Date.now() < oldExpiry) {
        expect(await meStatus(oldToken)).toBe(200);
        expect(await publishedKids()).toEqual([oldKid!, newKid].sort());
        await sleep(500);
      }
      await sleep(oldExpiry + CLOCK_SKEW_SECONDS * 1000 + 1_500 - Date.now());
      expect(await meStatus(oldToken)).toBe(401);

      const pruned = await until('the retired key is pruned', async () => {
        const step = await stack.rotateKeys(policy, false);
        return step.publishedKids.length === 1 ? step : undefined;
      });
      expect(pruned.publishedKids).toEqual([newKid]);
      expect(await publishedKids()).toEqual([newKid]);
      await sleep(1_000);
    } finally {
      running = false;
      await Promise.all(loops);
    }
    expect(failures).toEqual([]);
    expect(refreshes).toBeGreaterThan(clients.length * 10);
  });
});
