import { describe, expect, it } from 'vitest';
import { AuthError } from '../../web/client';
import { describeError } from '../../web/pages/messages';

function apiError(status: number, code: string, extra: Partial<ConstructorParameters<typeof AuthError>[0]> = {}): AuthError {
  return new AuthError({ status, code, title: `title of ${code}`, ...extra });
}

describe('page messages', () => {
  it.each([
    [{ field: 'password', message: 'is too common; choose another' }, 'That password is too common — pick another.'],
    [{ field: 'newPassword', message: 'must be at least 8 characters' }, 'The new password must be at least 8 characters long.'],
    [{ field: 'newEmail', message: 'must be a valid email address' }, "That new email address doesn't look right — check it for typos."],
    [{ field: 'username', message: 'must be 3 to 32 letters, digits, ".", "_" or "-"' }, 'Usernames are 3 to 32 letters, digits, dots, dashes or underscores.'],
  ])('turns the field error %o into a sentence', (fieldError, sentence) => {
    // Act
    const text = describeError(apiError(400, 'validation_failed', { errors: [fieldError] }));

    // Assess
    expect(text).toBe(sentence);
    expect(text).not.toMatch(/validation_failed|newPassword|newEmail/);
  });

  it('joins several field errors into sentences', () => {
    // Act
    const text = describeError(
      apiError(400, 'validation_failed', {
        errors: [
          { field: 'email', message: 'must be a valid email address' },
          { field: 'password', message: 'must be at least 8 characters' },
        ],
      }),
    );

    // Assess
    expect(text).toBe("That email address doesn't look right — check it for typos. The password must be at least 8 characters long.");
  });

  it.each([
    [apiError(403, 'reauthentication_failed'), 'Your password is not right.'],
    [apiError(401, 'invalid_credentials'), 'That email, username or password is not right.'],
    [apiError(429, 'too_many_attempts', { retryAfterSeconds: 120 }), 'Too many wrong passwords. Try again in 2 minutes.'],
    [apiError(429, 'too_many_attempts', { retryAfterSeconds: 30 }), 'Too many wrong passwords. Try again in 30 seconds.'],
    [apiError(409, 'username_taken'), 'That username is taken — pick another.'],
    [apiError(409, 'email_taken'), 'That address now belongs to another account.'],
    [apiError(400, 'invalid_token'), 'This link is invalid, expired or already used.'],
    [apiError(0, 'network_error'), 'The service could not be reached. Check your connection and try again.'],
    [apiError(503, 'service_unavailable', { retryAfterSeconds: 5 }), 'The service is busy right now. Try again in 5 seconds.'],
    [apiError(502, 'internal_error'), 'Something went wrong on our side. Try again in a moment.'],
  ])('says %s as a sentence', (error, sentence) => {
    // Act
    const text = describeError(error);

    // Assess
    expect(text).toBe(sentence);
  });

  it('never shows a script error to the person', () => {
    // Act
    const text = describeError(new TypeError("Cannot read properties of undefined (reading 'email')"));

    // Assess
    expect(text).toBe('Something went wrong on this page. Reload it and try again.');
  });
});
