/**
 * Failures as sentences for people: the API's stable codes and field errors mapped to what to do
 * next, never `validation_failed — password: …`. The sentences live in strings.ts.
 */
import { AuthError, type FieldError } from '../client';
import { text, type StringKey } from './strings';

const fieldNames: Record<string, StringKey> = {
  email: 'nameEmail',
  newEmail: 'nameNewEmail',
  password: 'namePassword',
  newPassword: 'nameNewPassword',
  currentPassword: 'nameCurrentPassword',
  username: 'nameUsername',
  token: 'nameToken',
  code: 'nameCode',
  recoveryCode: 'nameRecoveryCode',
};

function fieldName(field: string): string {
  const key = fieldNames[field];
  return key ? text(key) : field;
}

function capitalize(phrase: string): string {
  return phrase.charAt(0).toUpperCase() + phrase.slice(1);
}

/** "3 minutes", "45 seconds". */
export function waitTime(seconds: number): string {
  if (seconds < 90) return seconds === 1 ? text('second') : text('seconds', { count: seconds });
  const minutes = Math.ceil(seconds / 60);
  return minutes === 1 ? text('minute') : text('minutes', { count: minutes });
}

export function describeFieldError({ field, message }: FieldError): string {
  const name = fieldName(field);
  if (/too common/i.test(message)) return text('fieldTooCommon');
  const atLeast = /at least (\d+)/i.exec(message);
  if (atLeast) return text('fieldAtLeast', { name, count: atLeast[1]! });
  const atMost = /at most (\d+)/i.exec(message);
  if (atMost) return text('fieldAtMost', { name, count: atMost[1]! });
  if (/valid email/i.test(message)) return text('fieldInvalidEmail', { name });
  if (/already taken/i.test(message)) return text('fieldTaken', { name });
  if (field === 'username') return text('fieldUsername');
  if (/required|invalid_type|expected string/i.test(message)) return field === 'code' ? text('requiredCode') : text('fieldRequired', { name });
  return text('fieldOther', { name: capitalize(name), message });
}

export function describeError(error: unknown): string {
  if (!(error instanceof AuthError)) return text('errorPage');
  const wait = error.retryAfterSeconds ? text('errorWaitFor', { wait: waitTime(error.retryAfterSeconds) }) : text('errorWaitLater');
  switch (error.code) {
    case 'validation_failed':
      return error.errors?.length ? error.errors.map(describeFieldError).join(' ') : text('errorCheckInput');
    case 'invalid_credentials':
      return text('errorCredentials');
    case 'reauthentication_failed':
      return text('errorReauth');
    case 'too_many_attempts':
      return text('errorTooManyAttempts', { wait });
    case 'rate_limited':
      return text('errorRateLimited', { wait });
    case 'invalid_token':
      return text('errorInvalidToken');
    case 'invalid_code':
      return text('errorInvalidCode');
    case 'mfa_already_enabled':
      return text('errorMfaAlreadyOn');
    case 'mfa_not_pending':
      return text('errorMfaNotPending');
    case 'mfa_not_enabled':
      return text('errorMfaOff');
    case 'username_taken':
      return text('errorUsernameTaken');
    case 'email_taken':
      return text('errorEmailTaken');
    case 'not_found':
      return text('errorNotFound');
    case 'network_error':
      return text('errorNetwork');
    case 'service_unavailable':
      return text('errorBusy', { wait });
    case 'unauthorized':
    case 'invalid_refresh_token':
    case 'session_expired':
    case 'refresh_token_reused':
      return text('errorSessionEnded');
    default:
      return error.status >= 500 ? text('errorServer') : error.title;
  }
}

/**
 * The API fields a failure is about, so the page can mark them (aria-invalid) and move focus
 * to the first: field errors by name, a wrong password or code on the field that holds it.
 */
export function fieldsOf(error: unknown): string[] {
  if (!(error instanceof AuthError)) return [];
  if (error.code === 'validation_failed') return (error.errors ?? []).map((fieldError) => fieldError.field);
  if (error.code === 'invalid_credentials' || error.code === 'reauthentication_failed') return ['password', 'currentPassword'];
  if (error.code === 'invalid_code') return ['code'];
  if (error.code === 'username_taken') return ['username'];
  return [];
}
