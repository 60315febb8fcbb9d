import { createHash } from 'node:crypto';
import { logger } from './observability';

/**
 * Have I Been Pwned's Pwned Passwords range API, k-anonymity style: only the first 5 hex digits
 * of the password's SHA-1 leave the function; the API answers every suffix it knows under that
 * prefix (`SUFFIX:COUNT` lines) and the match is made here. `Add-Padding: true` makes every
 * answer 800 to 1,000 lines (padding lines have count 0), so the size of the answer does not
 * tell an observer of the encrypted traffic which prefix was asked for.
 *
 * It fails open: an answer that does not come within the timeout, or is not a 200, lets the
 * password through (logged), since a third party's outage must not stop anyone from signing up.
 */
export const BREACH_CHECK_TIMEOUT_MS = 1_500;

export type BreachVerdict = 'breached' | 'not_found' | 'unknown';

export async function breachVerdict(password: string, apiUrl: string, timeoutMs = BREACH_CHECK_TIMEOUT_MS): Promise<BreachVerdict> {
  const digest = createHash('sha1').update(password, 'utf8').digest('hex').toUpperCase();
  const prefix = digest.slice(0, 5);
  const suffix = digest.slice(5);
  try {
    const response = await fetch(`${apiUrl}/range/${prefix}`, {
      headers: { 'Add-Padding': 'true', 'User-Agent': 'serverless-auth' },
      signal: AbortSignal.timeout(timeoutMs),
    });
    if (response.status !== 200) {
      logger.warn('breached-password check failed open', { status: response.status });
      return 'unknown';
    }
    for (const line of (await response.text()).split('\n')) {
      const [candidate, count] = line.trim().split(':');
      if (candidate?.toUpperCase() === suffix) return Number(count) > 0 ? 'breached' : 'not_found';
    }
    return 'not_found';
  } catch (error) {
    logger.warn('breached-password check failed open', { error: error instanceof Error ? error.name : 'unknown' });
    return 'unknown';
  }
}
