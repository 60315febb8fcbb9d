import { build } from 'esbuild';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { esbuildOptions } from '../../infra/bundling';
import { OAUTH_FUNCTIONS, WEBAUTHN_FUNCTIONS } from '../../bench/cold-start';
import { functionNames, mailer } from '../../shared/routes';

const FUNCTIONS_DIR = path.join(import.meta.dirname, '..', '..', 'functions');

/**
 * The source files esbuild read for a function's bundle, with the stack's own settings; with
 * `keptOnly`, only those of which some code is left in the output after tree shaking.
 */
async function inputsOf(name: string, { keptOnly = false } = {}): Promise<string[]> {
  const { metafile } = await build({
    ...esbuildOptions,
    entryPoints: [path.join(FUNCTIONS_DIR, name, 'handler.ts')],
    outdir: path.join('/tmp', 'bundle-check', name),
    write: false,
    metafile: true,
  });
  if (!keptOnly) return Object.keys(metafile.inputs);
  return Object.values(metafile.outputs).flatMap((output) => Object.entries(output.inputs).filter(([, kept]) => kept.bytesInOutput > 0).map(([input]) => input));
}

/** The npm packages in a function's bundle. */
async function packagesIn(name: string, options: { keptOnly?: boolean } = {}): Promise<Set<string>> {
  return new Set((await inputsOf(name, options)).flatMap((input) => /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(input)?.[1] ?? []));
}

describe('bundles', () => {
  it.each(functionNames)('%s carries the SES client only if it is the mailer, and never the local stream reader', async (name) => {
    // Act
    const packages = await packagesIn(name);

    // Assess
    expect(packages.has('@aws-sdk/client-ses')).toBe(name === mailer.functionName);
    expect(packages.has('@aws-sdk/client-dynamodb-streams')).toBe(false);
  });

  it.each(functionNames)('%s validates with zod/mini only: classic zod costs a cold start 89 KiB', async (name) => {
    // Act
    const inputs = await inputsOf(name);

    // Assess
    expect(inputs.filter((input) => input.includes('node_modules/zod/v4/classic/'))).toEqual([]);
  });
});

describe('the TOTP library', () => {
  const twoFactorFunctions = [
    'mfa-enroll', 'mfa-confirm', 'mfa-recovery-codes', 'mfa-disable', 'mfa-verify', 'change-password', 'change-email', 'delete-account',
    // Their step-up asks for a TOTP code while two-factor is on.
    'passkey-register-options', 'delete-passkey',
    // Connecting and disconnecting an identity steps up the same way.
    'oauth-link', 'unlink-identity',
  ];

  it.each(functionNames)('%s carries otpauth only if it checks or makes TOTP codes', async (name) => {
    // Act
    const packages = await packagesIn(name);

    // Assess
    expect(packages.has('otpauth')).toBe(twoFactorFunctions.includes(name));
    // The Node build of otpauth uses node:crypto, never the pure-JS hashes of its browser build.
    expect(packages.has('@noble/hashes')).toBe(false);
  });
});

describe('the WebAuthn library', () => {
  it.each(functionNames)('%s carries @simplewebauthn/server only if it runs a passkey ceremony or a passkey step-up', async (name) => {
    // Act
    const packages = await packagesIn(name);

    // Assess
    expect(packages.has('@simplewebauthn/server')).toBe(WEBAUTHN_FUNCTIONS.includes(name));
  });
});

describe('the OAuth / OpenID client library', () => {
  // The identity routes that never call a provider import its module too; tree shaking leaves the library out of their bundles.
  it.each(functionNames)('%s carries oauth4webapi only if it talks to an identity provider (its 1.3 × cold-start budget names it)', async (name) => {
    // Act
    const packages = await packagesIn(name, { keptOnly: true });

    // Assess
    expect(packages.has('oauth4webapi')).toBe(OAUTH_FUNCTIONS.includes(name));
  });
});
