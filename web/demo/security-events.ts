import type { SecurityEvent } from '../client';

/**
 * The "Recent security activity" card: each event as a sentence a person reads at a glance
 * ("Signed in from Chrome on Linux", "Password changed"). Self-contained: main.ts hands it the
 * events and its own device and time formatting.
 */
const sentences: Record<string, (event: SecurityEvent, device: string) => string> = {
  signed_in: (event, device) => `Signed in from ${device}${event.method === 'totp' ? ' with a two-factor code' : event.method === 'recovery_code' ? ' with a recovery code' : ''}${event.newDevice ? ' (new device)' : ''}`,
  locked_out: () => 'Sign-in locked after too many wrong passwords',
  password_changed: () => 'Password changed',
  password_reset: () => 'Password reset by email link',
  email_changed: () => 'Email address changed',
  mfa_enabled: () => 'Two-factor authentication turned on',
  mfa_disabled: (event) => (event.actor ? 'Two-factor authentication turned off by an administrator' : 'Two-factor authentication turned off'),
  recovery_code_used: () => 'A recovery code was used',
  session_revoked: (_event, device) => `Signed out a device from ${device}`,
  signed_out_everywhere: (event) => (event.actor ? 'Signed out everywhere by an administrator' : 'Signed out everywhere'),
  account_disabled: () => 'Account disabled by an administrator',
  account_enabled: () => 'Account enabled by an administrator',
  roles_changed: (event) => `Roles changed by an administrator${event.roles?.length ? ` to ${event.roles.join(', ')}` : ' (none now)'}`,
};

export function describeSecurityEvent(event: SecurityEvent, deviceName: (userAgent: string | undefined) => string): string {
  const sentence = sentences[event.type];
  return sentence ? sentence(event, deviceName(event.userAgent)) : event.type.replace(/_/g, ' ');
}

/** One `security-event` row per event: the sentence and when. */
export function securityEventRows(
  events: readonly SecurityEvent[],
  deviceName: (userAgent: string | undefined) => string,
  ago: (iso: string) => string,
): HTMLElement[] {
  return events.map((event) => {
    const row = document.createElement('li');
    row.dataset.testid = 'security-event';
    const text = document.createElement('span');
    text.textContent = describeSecurityEvent(event, deviceName);
    const when = document.createElement('time');
    when.dateTime = event.at;
    when.className = 'hint';
    when.textContent = ` · ${ago(event.at)}`;
    row.append(text, when);
    return row;
  });
}
