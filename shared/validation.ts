import * as z from 'zod';
import { isCommonPassword } from './common-passwords';

/** Rejects C0/C1 control characters and other invisible format characters. */
const noControlCharacters = (value: string) => !/[\p{Cc}\p{Cf}]/u.test(value);

/** Trimmed and lower-cased before any lookup, so "Alice@Example.com " is one account. */
export const emailField = z
  .string()
  .trim()
  .toLowerCase()
  .max(254)
  .refine(noControlCharacters, 'must not contain control characters')
  .pipe(z.email('must be a valid email address'));

export const PASSWORD_MIN = 8;
export const PASSWORD_MAX = 128;
/** Bounds the work before normalizing: NFKC can turn one code point into up to 18. */
const PASSWORD_INPUT_MAX = 1024;

/**
 * Every password field starts here: one NFKC normalization at input, so the length rule, the
 * common-password list, the hash and a later login all see the same string. Without it
 * "ｐａｓｓｗｏｒｄ" (full-width) would pass the common-password check and then log in as
 * "password", and "e\u0301" (e + combining accent) would count as two characters.
 */
export const passwordInput = z
  .string()
  .max(PASSWORD_INPUT_MAX, `must be at most ${PASSWORD_INPUT_MAX} characters`)
  .transform((password) => password.normalize('NFKC'));

/** A password being chosen: the rules run on the normalized string. */
export const newPasswordField = passwordInput.pipe(
  z
    .string()
    .refine((p) => [...p].length >= PASSWORD_MIN, `must be at least ${PASSWORD_MIN} characters`)
    .refine((p) => [...p].length <= PASSWORD_MAX, `must be at most ${PASSWORD_MAX} characters`)
    .refine((p) => !isCommonPassword(p), 'is too common; choose another'),
);

/** Usernames never contain "@", so a login identifier is unambiguous. */
export const usernameField = z
  .string()
  .trim()
  .regex(/^[A-Za-z0-9_.-]{3,32}$/, 'must be 3 to 32 letters, digits, ".", "_" or "-"');

export const registerBody = z.object({ email: emailField });

/** Completes a sign-up: the mailed link's token plus the password (and username) chosen now. */
export const verifyBody = z.object({
  token: z.string().min(1).max(512),
  password: newPasswordField,
  username: usernameField.optional(),
});

/** Login by email or username. A value without "@" in `email` is taken as a username. */
export const loginBody = z
  .object({
    email: z.string().trim().min(1).max(254).refine(noControlCharacters, 'must not contain control characters').optional(),
    username: z.string().trim().min(1).max(254).refine(noControlCharacters, 'must not contain control characters').optional(),
    password: passwordInput.pipe(z.string().min(1, 'is required')),
  })
  .refine((b) => (b.email === undefined) !== (b.username === undefined), {
    message: 'give either email or username',
    path: ['email'],
  })
  .transform((b) => {
    const identifier = (b.email ?? b.username)!;
    return identifier.includes('@')
      ? { kind: 'email' as const, identifier: identifier.toLowerCase(), password: b.password }
      : { kind: 'username' as const, identifier: identifier.toLowerCase(), password: b.password };
  });

export const logoutBody = z.object({ scope: z.enum(['session', 'all']).default('session') });

/** A TOTP code as typed: spaces are forgiven ("123 456"); the rules decide whether it is right. */
const totpCodeField = z
  .string()
  .max(32)
  .transform((code) => code.replace(/\s/g, ''));
/**
 * A recovery code, or in the step-up `code` field a TOTP code or a recovery code. Routes that
 * change the account add `code: secondFactorCodeField.optional()` and pass it to requireSecondFactor.
 */
export const secondFactorCodeField = z.string().trim().min(1, 'is required').max(64);
/** The current password of a signed-in user, as typed (normalized like every password). */
const currentPasswordField = passwordInput.pipe(z.string().min(1, 'is required'));

export const mfaEnrollBody = z.object({ password: currentPasswordField });
export const mfaConfirmBody = z.object({ code: totpCodeField });
/** Disable and regenerate: the password, and `code` (a TOTP or recovery code) while two-factor is on. */
export const mfaStepUpBody = z.object({ password: currentPasswordField, code: secondFactorCodeField.optional() });

/** The login's second step: the mfaToken and either a TOTP code or a recovery code. */
export const mfaVerifyBody = z
  .object({
    mfaToken: z.string().min(1).max(512),
    code: totpCodeField.optional(),
    recoveryCode: secondFactorCodeField.optional(),
  })
  .refine((b) => (b.code === undefined) !== (b.recoveryCode === undefined), { message: 'give either code or recoveryCode', path: ['code'] });
