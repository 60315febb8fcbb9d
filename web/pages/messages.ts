/**
 * Failures as sentences for people: the API's stable codes and field errors mapped to what to do
 * next, never `validation_failed — password: …`.
 */
import { AuthError, type FieldError } from '../client';

const fieldNames: Record<string, string> = {
  email: 'email address',
  newEmail: 'new email address',
  password: 'password',
  newPassword: 'new password',
  currentPassword: 'current password',
  username: 'username',
  token: 'link',
  code: 'code',
  recoveryCode: 'recovery code',
};

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** "3 minutes", "45 seconds". */
export function waitTime(seconds: number): string {
  if (seconds < 90) return `${seconds} second${seconds === 1 ? '' : 's'}`;
  const minutes = Math.ceil(seconds / 60);
  return `${minutes} minute${minutes === 1 ? '' : 's'}`;
}

export function describeFieldError({ field, message }: FieldError): string {
  const name = fieldNames[field] ?? field;
  if (/too common/i.test(message)) return 'That password is too common — pick another.';
  const atLeast = /at least (\d+)/i.exec(message);
  if (atLeast) return `The ${name} must be at least ${atLeast[1]} characters long.`;
  const atMost = /at most (\d+)/i.exec(message);
  if (atMost) return `The ${name} can be at most ${atMost[1]} characters long.`;
  if (/valid email/i.test(message)) return `That ${name} doesn't look right — check it for typos.`;
  if (/already taken/i.test(message)) return `That ${name} is taken — pick another.`;
  if (field === 'username') return 'Usernames are 3 to 32 letters, digits, dots, dashes or underscores.';
  if (/required|invalid_type|expected string/i.test(message)) return field === 'code' ? 'Enter a code from your authenticator app, or a recovery code.' : `Please fill in the ${name}.`;
  return `${capitalize(name)}: ${message}.`;
}

export function describeError(error: unknown): string {
  if (!(error instanceof AuthError)) return 'Something went wrong on this page. Reload it and try again.';
  const wait = error.retryAfterSeconds ? ` Try again in ${waitTime(error.retryAfterSeconds)}.` : ' Try again in a little while.';
  switch (error.code) {
    case 'validation_failed':
      return error.errors?.length ? error.errors.map(describeFieldError).join(' ') : 'Please check what you entered.';
    case 'invalid_credentials':
      return 'That email, username or password is not right.';
    case 'reauthentication_failed':
      return 'Your password is not right.';
    case 'too_many_attempts':
      return `Too many wrong passwords.${wait}`;
    case 'rate_limited':
      return `Too many requests.${wait}`;
    case 'invalid_token':
      return 'This link is invalid, expired or already used.';
    case 'invalid_code':
      return 'That code is not right, or was already used. Use the newest code from your app, or a recovery code.';
    case 'mfa_already_enabled':
      return 'Two-factor authentication is already on.';
    case 'mfa_not_pending':
      return 'Start setting up two-factor authentication again: enter your password to get a new QR code.';
    case 'mfa_not_enabled':
      return 'Two-factor authentication is off.';
    case 'username_taken':
      return 'That username is taken — pick another.';
    case 'email_taken':
      return 'That address now belongs to another account.';
    case 'not_found':
      return 'This server does not offer that (yet).';
    case 'network_error':
      return 'The service could not be reached. Check your connection and try again.';
    case 'service_unavailable':
      return `The service is busy right now.${wait}`;
    case 'unauthorized':
    case 'invalid_refresh_token':
    case 'session_expired':
    case 'refresh_token_reused':
      return 'Your session has ended. Please log in again.';
    default:
      return error.status >= 500 ? 'Something went wrong on our side. Try again in a moment.' : error.title;
  }
}
