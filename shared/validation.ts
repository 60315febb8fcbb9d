// zod/mini, as shared/config.ts: classic zod (89 KiB) would cost every body route's cold start.
// The pattern, for each classic method: .check(z.minLength(n), z.refine(fn, msg)) for .min/.refine,
// z.pipe(a, b) for a.pipe(b), z.pipe(a, z.transform(fn)) for a.transform(fn), z.optional(a) for
// a.optional(), z._default(a, v) for a.default(v).
import * as z from 'zod/mini';
import english from 'zod/v4/locales/en.js';

// zod/mini ships no messages ("Invalid input" for everything); classic zod installs the English
// ones at import. Installing the same here keeps every problem+json message as clients know it.
z.config(english());

/** Rejects C0/C1 control characters and other invisible format characters. */
const noControlCharacters = (value: string) => !/[\p{Cc}\p{Cf}]/u.test(value);

/** Trimmed and lower-cased before any lookup, so "Alice@Example.com " is one account. */
export const emailField = z.pipe(
  z.string().check(z.trim(), z.toLowerCase(), z.maxLength(254), z.refine(noControlCharacters, 'must not contain control characters')),
  z.email('must be a valid email address'),
);

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
export const passwordInput = z.pipe(
  z.string().check(z.maxLength(PASSWORD_INPUT_MAX, `must be at most ${PASSWORD_INPUT_MAX} characters`)),
  z.transform((password: string) => password.normalize('NFKC')),
);

/**
 * Characters nobody can see or type on purpose: controls (tab and newline included), format
 * characters (zero-width space and joiners, bidi controls, soft hyphen), the other
 * default-ignorable code points (variation selectors, Hangul fillers), line and paragraph
 * separators, lone surrogates and unassigned code points. In a new password they only hide a
 * common password from the list ("pass\u200Bword") or lock the owner out of their own
 * account from another keyboard, so a new password with one is refused. Passwords being
 * checked (login, re-authentication) are taken as they come: an older password that has one
 * still logs in.
 */
const invisibleCharacter = /[\p{Cc}\p{Cf}\p{Cs}\p{Cn}\p{Zl}\p{Zp}\p{Default_Ignorable_Code_Point}]/u;

/**
 * A password being chosen: the rules run on the normalized string. The common-password list and
 * the breach check need data and the network, so they run after parsing, in the route's logic
 * (shared/auth/password-policy.ts), with the same 400 validation_failed on `password`.
 */
export const newPasswordField = z.pipe(
  passwordInput,
  z.string().check(
    z.refine((p) => !invisibleCharacter.test(p), 'must not contain control or invisible characters'),
    z.refine((p) => [...p].length >= PASSWORD_MIN, `must be at least ${PASSWORD_MIN} characters`),
    z.refine((p) => [...p].length <= PASSWORD_MAX, `must be at most ${PASSWORD_MAX} characters`),
  ),
);

/** Usernames never contain "@", so a login identifier is unambiguous. */
export const usernameField = z.string().check(z.trim(), z.regex(/^[A-Za-z0-9_.-]{3,32}$/, 'must be 3 to 32 letters, digits, ".", "_" or "-"'));

export const registerBody = z.object({ email: emailField });

/** A mailed link's token, as the page read it from its URL. */
const mailedTokenField = z.string().check(z.minLength(1), z.maxLength(512));

/** Completes a sign-up: the mailed link's token plus the password (and username) chosen now. */
export const verifyBody = z.object({
  token: mailedTokenField,
  password: newPasswordField,
  username: z.optional(usernameField),
});

/** Reads the address a sign-up link is for, without using the link. */
export const signupAddressBody = z.object({ token: mailedTokenField });

/** A login identifier as typed: the rules that hold for an email and a username alike. */
const loginIdentifier = z.string().check(z.trim(), z.minLength(1), z.maxLength(254), z.refine(noControlCharacters, 'must not contain control characters'));

/** Login by email or username. A value without "@" in `email` is taken as a username. */
export const loginBody = z.pipe(
  z
    .object({
      email: z.optional(loginIdentifier),
      username: z.optional(loginIdentifier),
      password: z.pipe(passwordInput, z.string().check(z.minLength(1, 'is required'))),
    })
    .check(
      z.refine((b) => (b.email === undefined) !== (b.username === undefined), {
        message: 'give either email or username',
        path: ['email'],
      }),
    ),
  z.transform((b: { email?: string; username?: string; password: string }) => {
    const identifier = (b.email ?? b.username)!;
    return identifier.includes('@')
      ? { kind: 'email' as const, identifier: identifier.toLowerCase(), password: b.password }
      : { kind: 'username' as const, identifier: identifier.toLowerCase(), password: b.password };
  }),
);

export const logoutBody = z.object({ scope: z._default(z.enum(['session', 'all']), 'session') });

/** A password being checked (login, re-authentication): normalized, never judged by the new-password rules. */
const currentPasswordField = z.pipe(passwordInput, z.string().check(z.minLength(1, 'is required')));

/** A TOTP code as typed: spaces are forgiven ("123 456"); the rules decide whether it is right. */
const totpCodeField = z.pipe(
  z.string().check(z.maxLength(32)),
  z.transform((code: string) => code.replace(/\s/g, '')),
);
/**
 * A recovery code, or in the step-up `code` field a TOTP code or a recovery code. Routes that
 * change the account take `code: z.optional(secondFactorCodeField)` and pass it to requireSecondFactor.
 */
export const secondFactorCodeField = z.string().check(z.trim(), z.minLength(1, 'is required'), z.maxLength(64));
/** Step-up: required by requireSecondFactor while two-factor is on, ignored while it is off. */
const stepUpCodeField = z.optional(secondFactorCodeField);

export const forgotPasswordBody = z.object({ email: emailField });

export const resetPasswordBody = z.object({ token: mailedTokenField, password: newPasswordField });

export const confirmEmailBody = z.object({ token: mailedTokenField });

/** Turning two-factor on ends every other session unless `signOutOtherSessions` is false. */
export const mfaConfirmBody = z.object({ code: totpCodeField, signOutOtherSessions: z._default(z.boolean(), true) });

/** The login's second step: the mfaToken and either a TOTP code or a recovery code. */
export const mfaVerifyBody = z.object({
  mfaToken: z.string().check(z.minLength(1), z.maxLength(512)),
  code: z.optional(totpCodeField),
  recoveryCode: z.optional(secondFactorCodeField),
}).check(z.refine((b) => (b.code === undefined) !== (b.recoveryCode === undefined), { message: 'give either code or recoveryCode', path: ['code'] }));

/** base64url as WebAuthn's JSON forms carry binary fields; bounded so no body costs much to decode. */
const base64url = (max: number) => z.string().check(z.minLength(1), z.maxLength(max), z.regex(/^[A-Za-z0-9_-]+$/, 'must be base64url'));
const credentialFields = {
  id: base64url(1366),
  rawId: base64url(1366),
  type: z.literal('public-key'),
  clientExtensionResults: z._default(z.record(z.string(), z.unknown()), {}),
  authenticatorAttachment: z.optional(z.enum(['platform', 'cross-platform'])),
};

/** A WebAuthn assertion (navigator.credentials.get) in the JSON form @simplewebauthn/browser produces. */
export const passkeyAssertionField = z.object({
  ...credentialFields,
  response: z.object({
    clientDataJSON: base64url(4096),
    authenticatorData: base64url(4096),
    signature: base64url(2048),
    userHandle: z.optional(base64url(128)),
  }),
});

/** A WebAuthn attestation (navigator.credentials.create) in the JSON form @simplewebauthn/browser produces. */
export const passkeyAttestationField = z.object({
  ...credentialFields,
  response: z.object({
    clientDataJSON: base64url(4096),
    attestationObject: base64url(8192),
    transports: z.optional(z.array(z.enum(['ble', 'cable', 'hybrid', 'internal', 'nfc', 'smart-card', 'usb'])).check(z.maxLength(7))),
    authenticatorData: z.optional(base64url(4096)),
    publicKey: z.optional(base64url(2048)),
    publicKeyAlgorithm: z.optional(z.number()),
  }),
});

/**
 * Step-up (shared/auth/step-up.ts), in the body of every sensitive route: `password`, or a
 * `passkey` assertion on a challenge from POST /auth/passkeys/login/options, or neither for an
 * account that has neither (a recent sign-in); `code` while two-factor is on. Which one the
 * account needs is the step-up module's to decide, so both are optional here.
 */
const stepUpFields = {
  password: z.optional(currentPasswordField),
  passkey: z.optional(passkeyAssertionField),
  code: stepUpCodeField,
};

/** Passkey management, two-factor enroll, disable and new recovery codes, and deleting the account. */
export const stepUpBody = z.object(stepUpFields);

export const deleteAccountBody = stepUpBody;

/**
 * The current password keeps its name `currentPassword` here; an account without a password
 * omits it (step-up by passkey or a recent sign-in) and so sets its first one.
 */
export const changePasswordBody = z.object({
  currentPassword: z.optional(currentPasswordField),
  passkey: stepUpFields.passkey,
  newPassword: newPasswordField,
  code: stepUpCodeField,
});

export const changeEmailBody = z.object({ ...stepUpFields, newEmail: emailField });

export const passkeyRegisterBody = z.object({
  response: passkeyAttestationField,
  name: z.optional(z.string().check(z.trim(), z.maxLength(64), z.refine(noControlCharacters, 'must not contain control characters'))),
});

export const passkeyLoginBody = z.object({ response: passkeyAssertionField });

/** A credential id in a path: base64url, as WebAuthn makes them (at most 1023 bytes). */
export const credentialIdShape = /^[A-Za-z0-9_-]{1,1366}$/;

/** A step-up's `passkey` as parsed: shared/auth/step-up.ts hands it to the library. */
export type PasskeyAssertionBody = z.output<typeof passkeyAssertionField>;

// The library's types for what these schemas accept; the library checks every field it reads.
export type PasskeyAssertion = import('@simplewebauthn/server').AuthenticationResponseJSON;
export type PasskeyAttestation = import('@simplewebauthn/server').RegistrationResponseJSON;

export const emailSigninBody = z.object({ email: emailField });

/** The mailed link's token, or the address and the 6-digit code of the mail. */
export const emailSigninVerifyBody = z.union([
  z.object({ token: mailedTokenField }),
  z.object({ email: emailField, code: z.pipe(totpCodeField, z.string().check(z.regex(/^\d{6}$/, 'must be 6 digits'))) }),
]);

/** Role names (shared/roles.ts): at most 10, no repeats. */
export const rolesField = z.array(z.string().check(z.regex(/^[a-z0-9_:-]{1,32}$/, 'must be 1 to 32 characters a-z, 0-9, "_", ":" or "-"'))).check(
  z.maxLength(10, 'must hold at most 10 roles'),
  z.refine((roles: string[]) => new Set(roles).size === roles.length, 'must not repeat a role'),
);

/** POST /admin/users: an invitation, optionally presetting roles. */
export const adminInviteBody = z.object({ email: emailField, roles: z._default(rolesField, []) });

/** PUT /admin/users/{id}/roles. */
export const adminRolesBody = z.object({ roles: rolesField, revokeSessions: z._default(z.boolean(), false) });

const listLimit = z._default(z.coerce.number().check(z.int('must be a whole number'), z.minimum(1), z.maximum(100)), 50);
const cursorField = z.optional(z.string().check(z.regex(/^[A-Za-z0-9_-]{1,1024}$/, 'must be a cursor from a previous page')));

/** GET /admin/users query. */
export const adminListUsersQuery = z.object({
  limit: listLimit,
  cursor: cursorField,
  emailPrefix: z.optional(z.string().check(z.trim(), z.toLowerCase(), z.minLength(1), z.maxLength(254))),
});

/** GET /admin/users/{id}/events query. */
export const adminListEventsQuery = z.object({ limit: listLimit, cursor: cursorField });
