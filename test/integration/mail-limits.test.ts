import { request } from 'node:http';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalStack, type LocalStack } from '../../infra/local/stack';
import { SIGNUP_MAILS_PER_ADDRESS_PER_HOUR } from '../../shared/auth/mailer';
import type { StoredMail } from './support';
import { untilMailerDecided } from './support';

/**
 * The silent mail limits against the attacks that got around the per-address one: plus and dot
 * variants of one mailbox, many mailboxes from one source, many sources at once. On a stack of
 * its own with small limits (the shared stack lifts them: its tests sign up hundreds of users
 * from one address). Each request comes from its own loopback address (127.0.0.0/8 is all
 * loopback), which the local gateway passes on as the source IP, as API Gateway does.
 */
const PER_SOURCE = 3;
const GLOBAL = 12;
let own: LocalStack;

beforeAll(async () => {
  own = await startLocalStack({ quiet: true, env: { MAIL_PER_SOURCE_PER_HOUR: String(PER_SOURCE), MAIL_GLOBAL_PER_HOUR: String(GLOBAL) } });
}, 120_000);

afterAll(() => own?.stop());

let nextSource = 2;
/** A loopback address no other request of this file used. */
const freshSource = () => `127.0.0.${nextSource++}`;

/** POST JSON from a given local address; the status and body of the reply. */
function postFrom(source: string, path: string, body: unknown): Promise<{ status: number; body: string }> {
  const url = new URL(path, own.apiUrl.replace('localhost', '127.0.0.1'));
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', localAddress: source, headers: { 'Content-Type': 'application/json' } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode!, body: text }));
    });
    req.on('error', reject);
    req.end(JSON.stringify(body));
  });
}

async function allMails(): Promise<StoredMail[]> {
  const { emails } = (await (await fetch(`${own.mailUrl}/store`)).json()) as { emails: StoredMail[] };
  return emails;
}

const mailsToAny = async (addresses: string[]) => (await allMails()).filter((mail) => mail.destination.to.some((to) => addresses.includes(to)));

/** Waits until the mailer decided on every intent of these addresses (sent or suppressed). */
const decided = (addresses: string[]) => Promise.all([...new Set(addresses)].map((address) => untilMailerDecided(address, addresses.filter((a) => a === address).length, own)));

describe('mail limits', () => {
  it(`mails one mailbox at most ${SIGNUP_MAILS_PER_ADDRESS_PER_HOUR} sign-up mails an hour, however its address is spelled (plus tags, Gmail dots)`, async () => {
    // Prepare: eight spellings of one Gmail mailbox, each from another source.
    const name = `mb${randomUUID().slice(0, 6)}`;
    const dotted = `${name.slice(0, 2)}.${name.slice(2)}`;
    const variants = [
      `${name}@gmail.com`, `${name}+1@gmail.com`, `${name}+2@gmail.com`, `${dotted}@gmail.com`,
      `${dotted}+news@gmail.com`, `${name}@googlemail.com`, `${name}+3@googlemail.com`, `${name.toUpperCase()}+4@gmail.com`,
    ];

    // Act
    const replies = await Promise.all(variants.map((email) => postFrom(freshSource(), '/auth/register', { email })));

    // Assess: the same 202 for each, and no more mails than one address may get.
    expect(new Set(replies.map((reply) => `${reply.status} ${reply.body}`)).size).toBe(1);
    expect(replies[0]!.status).toBe(202);
    const addresses = variants.map((email) => email.toLowerCase());
    await decided(addresses);
    expect(await mailsToAny(addresses)).toHaveLength(SIGNUP_MAILS_PER_ADDRESS_PER_HOUR);
  });

  it(`mails at most ${PER_SOURCE} sign-up mails an hour for requests from one source address, to any mailboxes`, async () => {
    // Prepare
    const source = freshSource();
    const addresses = Array.from({ length: PER_SOURCE + 3 }, (_, i) => `spray-${i}-${randomUUID().slice(0, 6)}@example.com`);

    // Act
    const replies = await Promise.all(addresses.map((email) => postFrom(source, '/auth/register', { email })));

    // Assess
    expect(new Set(replies.map((reply) => `${reply.status} ${reply.body}`))).toEqual(new Set([`202 ${replies[0]!.body}`]));
    await decided(addresses);
    expect(await mailsToAny(addresses)).toHaveLength(PER_SOURCE);
  });

  it(`sends at most ${GLOBAL} link mails an hour in all, from any sources to any mailboxes`, async () => {
    // Prepare: fresh mailboxes from fresh sources, more than the cap can still let through.
    const addresses = Array.from({ length: GLOBAL }, (_, i) => `crowd-${i}-${randomUUID().slice(0, 6)}@example.com`);

    // Act
    const replies = await Promise.all(addresses.map((email) => postFrom(freshSource(), '/auth/register', { email })));

    // Assess: the earlier tests' mails and these stay within the cap, and the cap was reached.
    expect(replies.map((reply) => reply.status)).toEqual(Array(addresses.length).fill(202));
    await decided(addresses);
    expect(await allMails()).toHaveLength(GLOBAL);
    expect((await mailsToAny(addresses)).length).toBeLessThan(addresses.length);
  });
});
