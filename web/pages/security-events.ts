import type { SecurityEvent } from '../client';
import { text } from './strings';

/**
 * The "Recent security activity" section: each event as a sentence a person reads at a glance
 * ("Signed in from Chrome on Linux", "Password changed"), every sentence from strings.ts.
 * Self-contained: main.ts hands it the events and its own device and time formatting.
 */
const signedInSentences: Record<string, 'eventSignedInTotp' | 'eventSignedInRecoveryCode' | 'eventSignedInPasskey' | 'eventSignedInEmail'> = {
  totp: 'eventSignedInTotp',
  recovery_code: 'eventSignedInRecoveryCode',
  passkey: 'eventSignedInPasskey',
  email: 'eventSignedInEmail',
};

const sentences: Record<string, (event: SecurityEvent, device: string) => string> = {
  signed_in: (event, device) => {
    const sentence = text(signedInSentences[event.method ?? ''] ?? 'eventSignedIn', { device });
    return event.newDevice ? text('eventOnNewDevice', { sentence }) : sentence;
  },
  locked_out: () => text('eventLockedOut'),
  password_changed: () => text('eventPasswordChanged'),
  password_reset: () => text('eventPasswordReset'),
  email_changed: () => text('eventEmailChanged'),
  mfa_enabled: () => text('eventMfaEnabled'),
  mfa_disabled: (event) => text(event.actor ? 'eventMfaDisabledByAdmin' : 'eventMfaDisabled'),
  recovery_code_used: () => text('eventRecoveryCodeUsed'),
  session_revoked: (_event, device) => text('eventSessionRevoked', { device }),
  signed_out_everywhere: (event) => text(event.actor ? 'eventSignedOutEverywhereByAdmin' : 'eventSignedOutEverywhere'),
  account_disabled: () => text('eventAccountDisabled'),
  account_enabled: () => text('eventAccountEnabled'),
  passkey_added: () => text('eventPasskeyAdded'),
  passkey_removed: () => text('eventPasskeyRemoved'),
  roles_changed: (event) => (event.roles?.length ? text('eventRolesChanged', { roles: event.roles.join(', ') }) : text('eventRolesCleared')),
};

export function describeSecurityEvent(event: SecurityEvent, deviceName: (userAgent: string | undefined) => string): string {
  const sentence = sentences[event.type];
  return sentence ? sentence(event, deviceName(event.userAgent)) : text('eventOther', { type: event.type.replace(/_/g, ' ') });
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
    const sentence = document.createElement('span');
    sentence.textContent = describeSecurityEvent(event, deviceName);
    const when = document.createElement('time');
    when.dateTime = event.at;
    when.className = 'hint';
    when.textContent = text('eventWhen', { ago: ago(event.at) });
    row.append(sentence, when);
    return row;
  });
}
