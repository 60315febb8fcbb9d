import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import corpus from '@zxcvbn-ts/language-common/src/passwords.json' with { type: 'json' };
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertNewPasswordAllowed } from '../../shared/auth/password-policy';
import { breachVerdict } from '../../shared/breached-passwords';
import { isCommonPassword } from '../../shared/common-passwords';
import { commonPasswordsFromCorpus, commonPasswordsModule } from '../../shared/data/write-common-passwords';
import { ApiError } from '../../shared/errors';
import { breachedPasswordsHandler, KNOWN_BREACHED_PASSWORDS } from '../../infra/local/breached-passwords';

const sha1 = (text: string) => createHash('sha1').update(text, 'utf8').digest('hex').toUpperCase();

/** A local HTTP server answering with `handle`, and what it was asked. */
async function serve(handle: Parameters<typeof createServer>[1]): Promise<{ url: string; requests: Array<{ url: string; padding: string | undefined }>; server: Server }> {
  const requests: Array<{ url: string; padding: string | undefined }> = [];
  const server = createServer((req, res) => {
    requests.push({ url: req.url ?? '', padding: req.headers['add-padding'] as string | undefined });
    handle!(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, requests, server };
}

async function refusal(check: Promise<void>): Promise<string | undefined> {
  try {
    await check;
    return undefined;
  } catch (error) {
    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).code).toBe('validation_failed');
    return (error as ApiError).options.errors?.map((e) => `${e.field} ${e.message}`).join('; ');
  }
}

let standIn: Awaited<ReturnType<typeof serve>>;
beforeAll(async () => {
  standIn = await serve(breachedPasswordsHandler());
});
afterAll(() => standIn.server.close());

describe('the common-password list', () => {
  it.each(['password', 'Password123', 'qwertyuiop', 'iloveyou1', 'football', 'trustno1', 'summer2025', 'contraseña'])('knows %s', async (password) => {
    expect(await isCommonPassword(password)).toBe(true);
  });

  it('is the maintained corpus of tens of thousands, not a short list: passwords far down it are known too', async () => {
    const longEnough = commonPasswordsFromCorpus(corpus as string[]);

    expect(longEnough.length).toBeGreaterThan(15_000);
    for (const password of longEnough.slice(-50)) expect(await isCommonPassword(password)).toBe(true);
  });

  it('is shipped as written from the installed package (run `npm run common-passwords` after updating it)', () => {
    expect(readFileSync(new URL('../../shared/data/common-passwords.ts', import.meta.url), 'utf8')).toBe(commonPasswordsModule(corpus as string[]));
  });

  it('leaves a long passphrase alone', async () => {
    expect(await isCommonPassword('violet staircase under the sea')).toBe(false);
  });
});

describe('new-password policy', () => {
  const config = { BREACHED_PASSWORD_CHECK: true, BREACHED_PASSWORDS_API_URL: '' };
  const withStandIn = () => ({ ...config, BREACHED_PASSWORDS_API_URL: standIn.url });

  it('refuses a common password on the field it was given, whatever the case', async () => {
    expect(await refusal(assertNewPasswordAllowed(withStandIn(), 'PassWord123', 'newPassword'))).toBe('newPassword is too common; choose another');
  });

  it.each(KNOWN_BREACHED_PASSWORDS)('refuses %s, found in the breach corpus', async (password) => {
    expect(await refusal(assertNewPasswordAllowed(withStandIn(), password))).toBe('password has appeared in a data breach; choose another');
  });

  it('accepts a password neither common nor breached', async () => {
    expect(await refusal(assertNewPasswordAllowed(withStandIn(), 'violet staircase under the sea'))).toBeUndefined();
  });

  it('does not ask the breach API when the check is turned off', async () => {
    const before = standIn.requests.length;

    expect(await refusal(assertNewPasswordAllowed({ ...withStandIn(), BREACHED_PASSWORD_CHECK: false }, KNOWN_BREACHED_PASSWORDS[0]!))).toBeUndefined();
    expect(standIn.requests.length).toBe(before);
  });
});

describe('the breach check (HIBP range API)', () => {
  it('sends only the first 5 hex digits of the SHA-1, asks for padding, and finds the suffix among the padding', async () => {
    // Act
    const verdict = await breachVerdict('Tr0ub4dor&3', standIn.url);

    // Assess
    expect(verdict).toBe('breached');
    expect(standIn.requests.at(-1)).toEqual({ url: `/range/${sha1('Tr0ub4dor&3').slice(0, 5)}`, padding: 'true' });
  });

  it('treats a padding line (count 0) as not found', async () => {
    // Prepare: the password's own suffix, but as a padding line.
    const server = await serve((_req, res) => res.end(`${sha1('padding only').slice(5)}:0\r\nABC:4`));

    // Act + Assess
    expect(await breachVerdict('padding only', server.url)).toBe('not_found');
    server.server.close();
  });

  it.each([
    ['answers 503', (_req: unknown, res: { writeHead(s: number): { end(): void } }) => res.writeHead(503).end()],
    ['never answers', () => undefined],
  ])('fails open when the API %s: the password is not refused for it', async (_case, handle) => {
    // Prepare
    const broken = await serve(handle as Parameters<typeof createServer>[1]);

    // Act
    const started = Date.now();
    const verdict = await breachVerdict('correcthorsebatterystaple', broken.url, 300);
    const outcome = await refusal(assertNewPasswordAllowed({ BREACHED_PASSWORD_CHECK: true, BREACHED_PASSWORDS_API_URL: broken.url }, 'violet staircase under the sea'));

    // Assess
    expect(verdict).toBe('unknown');
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(outcome).toBeUndefined();
    broken.server.closeAllConnections();
    broken.server.close();
  });

  it('fails open when nothing listens at all', async () => {
    expect(await breachVerdict('correcthorsebatterystaple', 'http://127.0.0.1:9')).toBe('unknown');
  });
});
