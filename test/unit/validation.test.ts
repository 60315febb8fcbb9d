import { describe, expect, it } from 'vitest';
import { ApiError } from '../../shared/errors';
import { validate } from '../../shared/http/validate';
import { loginBody, newPasswordField, registerBody, verifyBody } from '../../shared/validation';

const fieldsOf = (fn: () => unknown) => {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(ApiError);
    return (error as ApiError).options.errors?.map((e) => e.field);
  }
  throw new Error('expected a validation error');
};

describe('registration input', () => {
  it('normalises the email by trimming and lower-casing it', () => {
    expect(validate(registerBody, { email: '  Bob@Example.COM ' }).email).toBe('bob@example.com');
  });
});

describe('sign-up completion input', () => {
  const token = 'vt1_a-link-token';

  it('refuses passwords under 8 or over 128 characters, counted as characters not bytes', () => {
    expect(fieldsOf(() => validate(verifyBody, { token, password: '1234567' }))).toEqual(['password']);
    expect(fieldsOf(() => validate(verifyBody, { token, password: 'x'.repeat(129) }))).toEqual(['password']);
    expect(validate(verifyBody, { token, password: '😀'.repeat(8) }).password).toBe('😀'.repeat(8));
  });

  it('imposes no composition rules', () => {
    expect(validate(verifyBody, { token, password: 'all lower case words' }).password).toBeTruthy();
  });

  it('lists every invalid field at once', () => {
    expect(fieldsOf(() => validate(verifyBody, { token: '', password: 5, username: 'a b' }))).toEqual(['token', 'password', 'username']);
  });
});

describe('registration body', () => {
  it('refuses operator objects, arrays, nulls and control characters', () => {
    expect(fieldsOf(() => validate(registerBody, { email: { $ne: 1 } }))).toEqual(['email']);
    expect(fieldsOf(() => validate(registerBody, [{ email: 'a@b.co' }]))).toEqual(['(body)']);
    expect(fieldsOf(() => validate(registerBody, null))).toEqual(['(body)']);
    expect(fieldsOf(() => validate(registerBody, { email: 'a\u0000@b.co' }))).toEqual(['email']);
  });
});

describe('login input', () => {
  it('takes an email (normalised) or a username', () => {
    expect(validate(loginBody, { email: ' Bob@Example.com', password: 'x' })).toEqual({ kind: 'email', identifier: 'bob@example.com', password: 'x' });
    expect(validate(loginBody, { username: 'Bob', password: 'x' })).toEqual({ kind: 'username', identifier: 'bob', password: 'x' });
  });

  it('needs exactly one of email and username', () => {
    expect(fieldsOf(() => validate(loginBody, { password: 'x' }))).toEqual(['email']);
    expect(fieldsOf(() => validate(loginBody, { email: 'a@b.co', username: 'bob', password: 'x' }))).toEqual(['email']);
  });
});

describe('invisible and control characters in passwords', () => {
  const token = 'vt1_a-link-token';

  it.each([
    ['a zero-width space hiding a common password', 'pass\u200Bword'],
    ['a zero-width joiner', 'correct\u200Dhorse battery'],
    ['a soft hyphen', 'correct\u00ADhorse battery'],
    ['a right-to-left override', 'correct horse\u202Ebattery'],
    ['a byte-order mark', '\uFEFFcorrect horse battery'],
    ['a tab', 'correct\thorse battery'],
    ['a newline', 'correct horse battery\n'],
    ['a NUL', 'correct horse\u0000battery'],
    ['a DEL', 'correct horse\u007Fbattery'],
    ['a variation selector', 'correct horse\uFE0Fbattery'],
    ['a Hangul filler', 'correct horse\u3164battery'],
    ['a line separator', 'correct horse\u2028battery'],
    ['a lone surrogate', 'correct horse\uD800battery'],
    ['an unassigned code point', 'correct horse\u{E0FFF}battery'],
  ])('refuses a new password with %s', (_case, password) => {
    expect(fieldsOf(() => validate(verifyBody, { token, password }))).toEqual(['password']);
  });

  it('keeps spaces, accents, emoji and other scripts, which people type on purpose', () => {
    for (const password of ['correct horse battery', 'crème brûlée maison', '😀🙂😀🙂😀🙂😀🙂', 'пароль надёжный', '密码很长很长的密码']) {
      expect(validate(verifyBody, { token, password }).password).toBe(password.normalize('NFKC'));
    }
  });

  it('takes a password being checked as it comes, so an older password with one still logs in', () => {
    expect(validate(loginBody, { email: 'a@b.co', password: 'pass\u200Bword' }).password).toBe('pass\u200Bword');
  });
});

describe('password normalization (NFKC, once, at input)', () => {
  it('hands a full-width spelling of a common password on as the common password itself', () => {
    // Act
    const { password } = validate(verifyBody, { token: 't', password: 'ｐａｓｓｗｏｒｄ' });

    // Assess: the password policy then refuses it as common (test/unit/password-policy.test.ts).
    expect(password).toBe('password');
  });

  it('counts the length after composition, so four accented letters made of eight code points are too short', () => {
    // Prepare
    const decomposed = 'e\u0301'.repeat(4);

    // Act
    const fields = fieldsOf(() => validate(verifyBody, { token: 't', password: decomposed }));

    // Assess
    expect([...decomposed]).toHaveLength(8);
    expect(fields).toEqual(['password']);
  });

  it('hands the normalized string on, so sign-up and login hash the same password', () => {
    // Prepare
    const typedOnSignUp = 'ｃｏｒｒｅｃｔ horse \u0065\u0301';
    const typedOnLogin = 'correct horse \u00e9';

    // Act
    const chosen = validate(verifyBody, { token: 't', password: typedOnSignUp }).password;
    const presented = validate(loginBody, { email: 'a@b.co', password: typedOnLogin }).password;

    // Assess
    expect(chosen).toBe('correct horse \u00e9');
    expect(presented).toBe(chosen);
    expect(validate(newPasswordField, typedOnSignUp)).toBe(chosen);
  });

  it('accepts 128 characters after normalization and refuses 129', () => {
    // Prepare: each "ﬀ" ligature is one code point that NFKC expands to two.
    const ligatures = (count: number) => 'ﬀ'.repeat(count);

    // Act
    const fields = fieldsOf(() => validate(verifyBody, { token: 't', password: `${ligatures(64)}x` }));
    const accepted = validate(verifyBody, { token: 't', password: ligatures(64) }).password;

    // Assess
    expect(fields).toEqual(['password']);
    expect(accepted).toBe('ff'.repeat(64));
  });

  it('refuses an empty or oversized login password without normalizing it', () => {
    expect(fieldsOf(() => validate(loginBody, { email: 'a@b.co', password: '' }))).toEqual(['password']);
    expect(fieldsOf(() => validate(loginBody, { email: 'a@b.co', password: 'x'.repeat(1025) }))).toEqual(['password']);
  });
});
