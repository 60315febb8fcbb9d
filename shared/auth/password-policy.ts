import { breachVerdict } from '../breached-passwords';
import { isCommonPassword } from '../common-passwords';
import type { Config } from '../config';
import { ApiError } from '../errors';

/**
 * The checks on a new password (sign-up, reset, change) that need data or the network, after
 * the body's own rules (length, invisible characters: shared/validation.ts) passed: not a
 * common password, and (when BREACHED_PASSWORD_CHECK is on, the default) not in Have I Been
 * Pwned's breach corpus. Either refusal is the same 400 validation_failed on `password` the body
 * rules give, with its own sentence. Runs before anything is consumed or written.
 */
export async function assertNewPasswordAllowed(
  config: Pick<Config, 'BREACHED_PASSWORD_CHECK' | 'BREACHED_PASSWORDS_API_URL'>,
  password: string,
  field = 'password',
): Promise<void> {
  const refuse = (message: string): never => {
    throw new ApiError('validation_failed', { errors: [{ field, message }] });
  };
  if (await isCommonPassword(password)) refuse('is too common; choose another');
  if (config.BREACHED_PASSWORD_CHECK && (await breachVerdict(password, config.BREACHED_PASSWORDS_API_URL)) === 'breached') {
    refuse('has appeared in a data breach; choose another');
  }
}
