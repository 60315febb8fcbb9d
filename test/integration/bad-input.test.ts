import { beforeAll, describe, expect, it } from 'vitest';
import { api, bearer, newVerifiedUser, type SignedIn } from './support';

/**
 * Hostile and sloppy request bodies against every route that reads one: each must be refused
 * with a 4xx problem+json naming what is wrong, never a 5xx.
 */
interface BadInput {
  name: string;
  body: string | Uint8Array<ArrayBuffer>;
  contentType?: string;
  status: number;
  code: string;
}

const json = 'application/json';
const deepNesting = '['.repeat(5_000) + ']'.repeat(5_000);

/** Inputs bad for every route; field-level ones are per route below. */
const anyRoute: BadInput[] = [
  { name: 'malformed JSON', body: '{"email": "a@example.com",', contentType: json, status: 400, code: 'malformed_json' },
  { name: 'a JSON body sent as text/plain', body: '{"email":"a@example.com"}', contentType: 'text/plain', status: 415, code: 'unsupported_media_type' },
  { name: 'a JSON body sent as form data', body: 'email=a%40example.com', contentType: 'application/x-www-form-urlencoded', status: 415, code: 'unsupported_media_type' },
  { name: 'a body without a content type', body: '{"email":"a@example.com"}', status: 415, code: 'unsupported_media_type' },
  { name: 'a body over 16 KiB', body: JSON.stringify({ email: 'a@example.com', password: 'x'.repeat(17 * 1024) }), contentType: json, status: 413, code: 'payload_too_large' },
  { name: 'JSON null', body: 'null', contentType: json, status: 400, code: 'validation_failed' },
  { name: 'a JSON array', body: '[{"email":"a@example.com"}]', contentType: json, status: 400, code: 'validation_failed' },
  { name: 'a JSON string', body: '"a@example.com"', contentType: json, status: 400, code: 'validation_failed' },
  { name: 'a JSON number', body: '42', contentType: json, status: 400, code: 'validation_failed' },
  { name: 'deeply nested arrays', body: deepNesting, contentType: json, status: 400, code: 'validation_failed' },
  { name: 'bytes that are not UTF-8', body: new Uint8Array([0x7b, 0xff, 0xfe, 0x7d]), contentType: json, status: 400, code: 'malformed_json' },
];

const longString = 'a'.repeat(300);

const perRoute: Record<string, Array<{ name: string; body: unknown }>> = {
  '/auth/register': [
    { name: 'an empty object', body: {} },
    { name: 'wrong types', body: { email: 123, password: true } },
    { name: 'null fields', body: { email: null, password: null } },
    { name: 'array fields', body: { email: ['a@example.com'], password: ['correct horse battery staple'] } },
    { name: 'operator objects', body: { email: { $ne: 1 }, password: { $gt: '' } } },
    { name: 'a control character in the email', body: { email: 'a\u0000b@example.com', password: 'correct horse battery staple' } },
    { name: 'a newline header injection in the email', body: { email: 'a@example.com\r\nBcc: victim@example.com', password: 'correct horse battery staple' } },
    { name: 'an address that is not one', body: { email: 'not-an-address', password: 'correct horse battery staple' } },
    { name: 'an address that is too long', body: { email: `${longString}@example.com`, password: 'correct horse battery staple' } },
  ],
  '/auth/login': [
    { name: 'an empty object', body: {} },
    { name: 'both email and username', body: { email: 'a@example.com', username: 'alice', password: 'x' } },
    { name: 'operator objects', body: { email: { $ne: null }, password: { $ne: null } } },
    { name: 'wrong types', body: { email: 1, password: 2 } },
    { name: 'null fields', body: { email: null, password: null } },
    { name: 'a control character in the identifier', body: { username: 'ali\u0007ce', password: 'whatever password' } },
  ],
  '/auth/verify': [
    { name: 'an empty object', body: {} },
    { name: 'an operator object as token', body: { token: { $ne: 1 } } },
    { name: 'a number as token', body: { token: 123 } },
    { name: 'a null token', body: { token: null } },
    { name: 'an array token', body: { token: ['a', 'b'] } },
    { name: 'an empty token', body: { token: '' } },
    { name: 'a password of the wrong type', body: { token: 'vt1_x', password: 12345678 } },
    { name: 'a password that is too short', body: { token: 'vt1_x', password: 'short' } },
    { name: 'a password that is too long', body: { token: 'vt1_x', password: 'p'.repeat(129) } },
    { name: 'a very common password', body: { token: 'vt1_x', password: 'password123' } },
    { name: 'a common password split by a zero-width space', body: { token: 'vt1_x', password: 'pass\u200Bword' } },
    { name: 'a password far down the common-password corpus', body: { token: 'vt1_x', password: 'newberry' } },
    { name: 'a password found in a breach (the local HIBP stand-in)', body: { token: 'vt1_x', password: 'Tr0ub4dor&3' } },
    { name: 'a password with a control character', body: { token: 'vt1_x', password: 'correct horse\u0007battery' } },
    { name: 'a username with markup', body: { token: 'vt1_x', password: 'correct horse battery staple', username: '<script>' } },
  ],
  '/auth/logout': [
    { name: 'an unknown scope', body: { scope: 'everything' } },
    { name: 'a scope of the wrong type', body: { scope: ['all'] } },
  ],
};

let user: SignedIn;

beforeAll(async () => {
  user = await newVerifiedUser('bad-input');
});

async function send(path: string, body: string | Uint8Array<ArrayBuffer>, contentType?: string): Promise<Response> {
  const headers: Record<string, string> = path === '/auth/logout' ? bearer(user.accessToken) : {};
  if (contentType) headers['Content-Type'] = contentType;
  return api(path, { method: 'POST', headers, body });
}

async function expectRefused(response: Response, status: number, code: string): Promise<void> {
  const text = await response.text();
  // The whole reply in the failure message: a 5xx here is the bug to see.
  expect({ status: response.status, text }).toMatchObject({ status });
  expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  expect(JSON.parse(text)).toMatchObject({ status, code });
}

describe.each(Object.keys(perRoute))('bad bodies on POST %s', (path) => {
  it.each(anyRoute)('refuses $name with $status $code', async ({ body, contentType, status, code }) => {
    // Act
    const response = await send(path, body, contentType);

    // Assess
    await expectRefused(response, status, code);
  });

  it.each(perRoute[path]!)('refuses $name with 400 validation_failed naming the field', async ({ body }) => {
    // Act
    const response = await send(path, JSON.stringify(body), json);

    // Assess
    const text = await response.clone().text();
    await expectRefused(response, 400, 'validation_failed');
    expect((JSON.parse(text) as { errors?: unknown[] }).errors).toEqual(expect.arrayContaining([expect.objectContaining({ field: expect.any(String) })]));
  });
});
