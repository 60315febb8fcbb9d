import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalStack, type LocalStack } from '../../infra/local/stack';
import { FAILURES_BEFORE_LOCK } from '../../shared/auth/throttle';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { PASSWORD, signUpOn, sleep, tableClient, uniqueEmail } from './support';

/**
 * The parallel brute-force attack at PRODUCTION password-hashing cost, on a local stack of its
 * own (the shared one hashes cheaply to keep the suite fast). Slow hashes are what an attacker
 * races: every request of the burst arrives while the first ones are still hashing.
 */
let own: LocalStack;

beforeAll(async () => {
  // No hashing settings: the handlers use the production defaults.
  own = await startLocalStack({ quiet: true });
}, 120_000);

afterAll(() => own?.stop());

const post = (path: string, body: unknown) =>
  fetch(`${own.apiUrl}${path}`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });

const verifiedAccount = async (email: string) => expect((await signUpOn(own, email)).status).toBe(200);

/** The login counter of an identifier as stored (see shared/aws/dynamodb-limits.ts). */
async function storedFailures(email: string): Promise<number> {
  const { Item } = await tableClient(own).send(
    new GetCommand({ TableName: own.tableName, Key: { pk: `ATTEMPTS#login#email#${email}`, sk: 'ATTEMPTS' }, ConsistentRead: true }),
  );
  return Number(Item?.failures ?? 0);
}

describe('login throttle at production hashing cost', () => {
  it('gives 30 parallel logins at most 5 password comparisons: the rest get 429, the right password in position 21 included', async () => {
    // Prepare
    const email = uniqueEmail('burst');
    await verifiedAccount(email);
    const passwords = Array.from({ length: 30 }, (_, i) => (i === 20 ? PASSWORD : `wrong password ${i}`));
    const login = (password: string) => post('/auth/login', { email, password });

    // Act: all 30 are in flight together; the last 10 are sent once the first 5 attempts are
    // counted (their slow hashes still running), so "position 21" means after them.
    const first = passwords.slice(0, 20).map(login);
    for (const deadline = Date.now() + 30_000; (await storedFailures(email)) < FAILURES_BEFORE_LOCK; await sleep(100)) {
      if (Date.now() > deadline) throw new Error('the first 20 attempts were never counted');
    }
    const answers = await Promise.all([...first, ...passwords.slice(20).map(login)]);

    // Assess
    const statuses = answers.map((answer) => answer.status);
    expect(statuses.filter((status) => status === 401).length).toBeLessThanOrEqual(FAILURES_BEFORE_LOCK);
    expect(statuses.filter((status) => status !== 401 && status !== 429)).toEqual([]);
    expect(statuses[20]).toBe(429);
    expect(await storedFailures(email)).toBeLessThanOrEqual(FAILURES_BEFORE_LOCK);
    for (const answer of answers.filter((a) => a.status === 429)) {
      expect(await answer.json()).toMatchObject({ code: 'too_many_attempts' });
      expect(Number(answer.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    }
  });
});
