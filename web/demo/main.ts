/**
 * The demo app: sign-up, login and the whole account lifecycle through the client, routed on
 * location.pathname. The pages a mail links to (/verify, /reset-password, /confirm-email) only
 * read the token on load; it is sent when the person submits, so a link scanner that runs the
 * page uses nothing up.
 */
import { renderSVG } from 'uqr';
import { AuthError, createAuthClient, type Session, type User } from '../client';
import { describeError } from './messages';
import { startDevInbox } from './dev-inbox';
import { securityEventRows } from './security-events';

const client = createAuthClient({ baseUrl: location.origin });
const inbox = startDevInbox();

const views = ['view-signed-out', 'view-verify', 'view-reset', 'view-confirm-email', 'view-link-done', 'view-account'] as const;
type View = (typeof views)[number];

function element<T extends HTMLElement>(id: string): T {
  return document.getElementById(id) as T;
}

function byTestId<T extends HTMLElement>(id: string): T {
  return document.querySelector<T>(`[data-testid="${id}"]`)!;
}

function show(view: View): void {
  for (const id of views) element(id).hidden = id !== view;
}

function showStatus(text: string): void {
  byTestId('status').textContent = text;
}

/** The form's own line, and the page's aria-live status: the one place a screen reader is told, so nothing is read twice. */
function tell(form: HTMLFormElement | null, text: string, kind: 'ok' | 'error'): void {
  const line = form?.querySelector<HTMLElement>('.message');
  if (line) {
    line.textContent = text;
    line.className = `message ${kind}`;
  }
  showStatus(text);
}

function clearMessages(): void {
  for (const line of document.querySelectorAll<HTMLElement>('.message')) line.textContent = '';
}

function field(form: HTMLFormElement, name: string): HTMLInputElement {
  return form.elements.namedItem(name) as HTMLInputElement;
}

function clearPasswords(form: HTMLFormElement): void {
  for (const input of form.querySelectorAll<HTMLInputElement>('input[type="password"]')) input.value = '';
}

/**
 * Runs a form's action with its button disabled; failures become a sentence on the form.
 * Passwords are cleared afterwards, whatever happened.
 */
function onSubmit(formId: string, action: (form: HTMLFormElement) => Promise<void>): void {
  const form = element<HTMLFormElement>(formId);
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const button = form.querySelector<HTMLButtonElement>('button[type="submit"]')!;
    button.disabled = true;
    clearMessages();
    action(form)
      .catch((error: unknown) => report(form, error))
      .finally(() => {
        button.disabled = false;
        clearPasswords(form);
      });
  });
}

function onClick(testId: string, action: () => Promise<void>): void {
  byTestId(testId).addEventListener('click', () => {
    action().catch((error: unknown) => report(null, error));
  });
}

function report(form: HTMLFormElement | null, error: unknown): void {
  // A 401 that ended the session has been told by the 'session-ended' handler.
  if (error instanceof AuthError && error.status === 401 && !client.isSignedIn() && form?.id !== 'login-form') return;
  if (!(error instanceof AuthError)) console.error(error);
  tell(form, describeError(error), 'error');
}

// ---- Signed-in state ------------------------------------------------------------------------

let currentUser: User | null = null;

function showUser(user: User | null): void {
  currentUser = user;
  byTestId('me').textContent = user?.email ?? '';
  (document.querySelector('.who') as HTMLElement).hidden = user === null;
  if (user) inbox.use(user.email);
  element('profile-email').textContent = user?.email ?? '';
  element('profile-username').textContent = user?.username ?? '—';
  element('profile-created').textContent = user ? new Date(user.createdAt).toLocaleDateString(undefined, { dateStyle: 'long' }) : '';
  element('profile-mfa').textContent = user ? (user.mfaEnabled ? 'On' : 'Off') : '';
  showTwoFactorForms(user?.mfaEnabled ?? false);
}

/**
 * Only the forms that apply: set-up while two-factor is off; new recovery codes, turning it off
 * and the code fields of the other forms while it is on. A field that goes out of sight is
 * emptied, so a code typed for the old state is never sent.
 */
function showTwoFactorForms(enabled: boolean): void {
  for (const part of document.querySelectorAll<HTMLElement>('[data-mfa]')) {
    part.hidden = (part.dataset.mfa === 'on') !== enabled;
    if (part.hidden) for (const input of part.querySelectorAll('input')) input.value = '';
  }
}

/** Two-factor was turned on or off here: the replies that did it carry no user. */
function showTwoFactorState(enabled: boolean): void {
  if (currentUser) showUser({ ...currentUser, mfaEnabled: enabled });
}

async function enterAccount(user: User, status: string): Promise<void> {
  showUser(user);
  history.replaceState(null, '', '/');
  show('view-account');
  showStatus(status);
  await loadSessions();
}

function leaveAccount(status: string): void {
  showUser(null);
  byTestId('sessions').replaceChildren();
  byTestId('security-events').replaceChildren();
  resetTwoFactorSection();
  if (location.pathname === '/' || !element('view-account').hidden) {
    history.replaceState(null, '', '/');
    showSignedOut();
  }
  showStatus(status);
}

client.on('session-ended', ({ reason }) => {
  const text = {
    logout: 'Signed out.',
    'account-deleted': 'Your account has been deleted. Every device has been signed out.',
    'refresh-refused': 'Your session has ended. Please log in again.',
    'other-tab': 'Signed out in another tab.',
  }[reason];
  leaveAccount(text);
});

client.on('session-started', ({ reason }) => {
  if (reason !== 'other-tab') return;
  client
    .me()
    .then((user) => enterAccount(user, `Signed in as ${user.email} in another tab.`))
    .catch((error: unknown) => report(null, error));
});

// ---- Signed out: sign up, log in, forgot password -------------------------------------------

function showSignedOut(forgot = location.pathname === '/forgot-password'): void {
  show('view-signed-out');
  element('forgot-card').hidden = !forgot;
  element('login-card').hidden = forgot;
}

onSubmit('register-form', async (form) => {
  const email = field(form, 'email').value.trim();
  inbox.use(email);
  await client.register(email);
  tell(form, `Check ${email} for a link to finish signing up. It works for 24 hours.`, 'ok');
});

onSubmit('login-form', async (form) => {
  const login = field(form, 'login').value.trim();
  const password = field(form, 'password').value;
  if (login.includes('@')) inbox.use(login);
  const result = await client.login(login.includes('@') ? { email: login, password } : { username: login, password });
  if (result.mfaRequired) {
    showSecondStep(result.mfaToken);
    return;
  }
  form.reset();
  await enterAccount(result.user, `Signed in as ${result.user.email}.`);
});

// The login's second step: the mfaToken stays in memory only, for the 5 minutes it is valid.
let pendingMfaToken: string | null = null;

function showSecondStep(mfaToken: string | null): void {
  pendingMfaToken = mfaToken;
  element('login-form').hidden = mfaToken !== null;
  element('login-mfa-form').hidden = mfaToken === null;
  element<HTMLFormElement>('login-mfa-form').reset();
  if (mfaToken) {
    byTestId('login-mfa-code').focus();
    showStatus('Password accepted. Enter the code from your authenticator app, or a recovery code.');
  }
}

onSubmit('login-mfa-form', async (form) => {
  const typed = field(form, 'code').value.trim();
  const digits = typed.replace(/\s/g, '');
  try {
    const user = await client.verifyMfa(pendingMfaToken ?? '', /^\d{6}$/.test(digits) ? { code: digits } : { recoveryCode: typed });
    showSecondStep(null);
    element<HTMLFormElement>('login-form').reset();
    await enterAccount(user, `Signed in as ${user.email}.`);
  } catch (error) {
    // The token is used up or expired: the password step again.
    if (!isDeadLink(error)) throw error;
    showSecondStep(null);
    tell(element<HTMLFormElement>('login-form'), 'That took too long or too many tries. Log in again.', 'error');
  }
});

element('login-mfa-cancel').addEventListener('click', (event) => {
  event.preventDefault();
  clearMessages();
  showSecondStep(null);
});

element('forgot-link').addEventListener('click', (event) => {
  event.preventDefault();
  history.pushState(null, '', '/forgot-password');
  clearMessages();
  showSignedOut(true);
  byTestId('forgot-email').focus();
});

element('back-to-login').addEventListener('click', (event) => {
  event.preventDefault();
  history.pushState(null, '', '/');
  clearMessages();
  showSignedOut(false);
});

window.addEventListener('popstate', () => {
  if (!client.isSignedIn() && (location.pathname === '/' || location.pathname === '/forgot-password')) showSignedOut();
});

onSubmit('forgot-form', async (form) => {
  const email = field(form, 'email').value.trim();
  inbox.use(email);
  await client.forgotPassword(email);
  tell(form, `If ${email} has an account, a link to choose a new password is on its way. It works for 30 minutes.`, 'ok');
});

// ---- Pages a mail links to ------------------------------------------------------------------

const linkToken = new URLSearchParams(location.search).get('token');

/** The link is used up or cannot be used: the form goes, the status says why, one way on. */
function linkDone(title: string, text: string, next: { href: string; label: string } = { href: '/', label: 'Go to the log-in page' }): void {
  history.replaceState(null, '', '/');
  show('view-link-done');
  element('link-done-title').textContent = title;
  const link = element<HTMLAnchorElement>('link-done-next');
  link.href = next.href;
  link.textContent = next.label;
  showStatus(text);
}

function isDeadLink(error: unknown): boolean {
  return error instanceof AuthError && error.code === 'invalid_token';
}

onSubmit('verify-form', async (form) => {
  try {
    const username = field(form, 'username').value.trim();
    const user = await client.verify(linkToken ?? '', field(form, 'password').value, username || undefined);
    form.reset();
    await enterAccount(user, `Welcome! Your account is ready and you are signed in as ${user.email}.`);
  } catch (error) {
    // A weak password or a taken username leaves the link usable: the form stays for another try.
    if (!isDeadLink(error)) throw error;
    linkDone('This link can’t be used', 'This sign-up link is invalid, expired or already used. Sign up again to get a new one.', { href: '/', label: 'Sign up again' });
  }
});

onSubmit('reset-form', async (form) => {
  try {
    await client.resetPassword(linkToken ?? '', field(form, 'password').value);
  } catch (error) {
    if (!isDeadLink(error)) throw error;
    linkDone('This link can’t be used', 'This reset link is invalid, expired or already used. Ask for a new one.', { href: '/forgot-password', label: 'Ask for a new reset link' });
    return;
  }
  // Every session of the account has ended, this browser's too if it was signed in to it.
  if (client.isSignedIn()) await client.refresh().catch(() => false);
  linkDone('Password changed', 'Your password has been changed and every device has been signed out. Log in with your new password.');
});

onSubmit('confirm-email-form', async () => {
  let user: User;
  try {
    user = await client.confirmEmail(linkToken ?? '');
  } catch (error) {
    if (!isDeadLink(error)) throw error;
    linkDone('This link can’t be used', 'This confirmation link is invalid, expired or already used. Ask for the change again from your account.');
    return;
  }
  inbox.use(user.email);
  if (client.isSignedIn() && currentUser?.id === user.id) {
    await enterAccount(user, `Your email is now ${user.email}.`);
    return;
  }
  linkDone('Email changed', `Your email is now ${user.email}. Use it to log in.`);
});

// ---- Signed in: the account -----------------------------------------------------------------

onClick('whoami', async () => {
  const user = await client.me();
  showUser(user);
  showStatus(`You are signed in as ${user.email}.`);
});

onClick('logout', async () => {
  await client.logout({ scope: 'session' });
});

onClick('logout-all', async () => {
  await client.logout({ scope: 'all' });
  showStatus('Signed out everywhere.');
});

const browsers: Array<[RegExp, string]> = [
  [/Edg\//, 'Edge'],
  [/Firefox\//, 'Firefox'],
  [/Chrom(e|ium)\//, 'Chrome'],
  [/Safari\//, 'Safari'],
  [/curl\//, 'curl'],
  [/node|undici/i, 'Node.js'],
];
const systems: Array<[RegExp, string]> = [
  [/Android/, 'Android'],
  [/iPhone|iPad/, 'iOS'],
  [/Windows/, 'Windows'],
  [/Mac OS X/, 'macOS'],
  [/Linux/, 'Linux'],
];

/** "Chrome on Linux" from a User-Agent: enough for a person to recognise a device. */
function deviceName(userAgent: string | undefined): string {
  if (!userAgent) return 'Unknown device';
  const browser = browsers.find(([pattern]) => pattern.test(userAgent))?.[1];
  const system = systems.find(([pattern]) => pattern.test(userAgent))?.[1];
  if (!browser) return userAgent.slice(0, 40);
  return system ? `${browser} on ${system}` : browser;
}

const relative = new Intl.RelativeTimeFormat(undefined, { numeric: 'auto' });

/** "just now", "5 minutes ago", "yesterday": how people read a session list. */
function ago(iso: string): string {
  const seconds = Math.round((new Date(iso).getTime() - Date.now()) / 1000);
  if (seconds > -60) return 'just now';
  const units: Array<[Intl.RelativeTimeFormatUnit, number]> = [['minute', 60], ['hour', 3600], ['day', 86_400]];
  const [unit, size] = units.findLast(([, size]) => -seconds >= size) ?? units[0]!;
  return relative.format(Math.round(seconds / size), unit);
}

function sessionRow(session: Session): HTMLLIElement {
  const row = document.createElement('li');
  row.className = 'session';
  row.dataset.testid = 'session-row';
  row.dataset.current = String(session.current);
  const text = document.createElement('div');
  const device = document.createElement('div');
  device.className = 'device';
  device.textContent = deviceName(session.userAgent);
  if (session.current) {
    const badge = document.createElement('span');
    badge.className = 'badge';
    badge.textContent = 'This device';
    device.append(badge);
  }
  const meta = document.createElement('div');
  meta.className = 'meta';
  meta.textContent = `${session.ipAddress ?? 'Unknown address'} · active ${ago(session.lastUsedAt)} · signed in ${ago(session.createdAt)}`;
  text.append(device, meta);
  const revoke = document.createElement('button');
  revoke.type = 'button';
  revoke.className = 'secondary';
  revoke.dataset.testid = 'session-revoke';
  revoke.textContent = session.current ? 'Sign out' : 'Sign out device';
  revoke.setAttribute('aria-label', session.current ? 'Sign out this device' : `Sign out ${device.firstChild?.textContent ?? 'device'}`);
  revoke.addEventListener('click', () => {
    revoke.disabled = true;
    revokeSession(session).catch(async (error: unknown) => {
      revoke.disabled = false;
      if (!(error instanceof AuthError && error.code === 'not_found')) return tellSessions(describeError(error), 'error');
      await loadSessions();
      tellSessions('That device was already signed out.', 'ok');
    });
  });
  row.append(text, revoke);
  return row;
}

function tellSessions(text: string, kind: 'ok' | 'error'): void {
  const line = element('sessions-message');
  line.textContent = text;
  line.className = `message ${kind}`;
  showStatus(text);
}

async function loadSessions(): Promise<void> {
  const sessions = await client.listSessions().catch((error: unknown) => {
    tellSessions(describeError(error), 'error');
    return null;
  });
  if (sessions) byTestId('sessions').replaceChildren(...sessions.map(sessionRow));
  // Whatever changed the sessions (a sign-in, a password change) is security activity too.
  const events = await client.listSecurityEvents().catch(() => null);
  if (events) byTestId('security-events').replaceChildren(...securityEventRows(events.slice(0, 10), deviceName, ago));
}

async function revokeSession(session: Session): Promise<void> {
  // Revoking this very session signs out: 'session-ended' takes it from there.
  await client.revokeSession(session.id);
  if (session.current) return;
  await loadSessions();
  tellSessions(`${deviceName(session.userAgent)} has been signed out.`, 'ok');
}

onSubmit('change-password-form', async (form) => {
  await client.changePassword(field(form, 'current').value, field(form, 'new').value, field(form, 'code').value.trim());
  field(form, 'code').value = '';
  tell(form, 'Password changed. Your other devices have been signed out.', 'ok');
  await loadSessions();
});

onSubmit('change-email-form', async (form) => {
  const newEmail = field(form, 'email').value.trim();
  await client.changeEmail(field(form, 'password').value, newEmail, field(form, 'code').value.trim());
  inbox.use(newEmail);
  form.reset();
  tell(form, `Check ${newEmail} for a link to confirm the change. Until then you keep using ${currentUser?.email ?? 'your current address'}.`, 'ok');
});

onSubmit('delete-form', async (form) => {
  // 'session-ended' (account-deleted) shows the signed-out view.
  await client.deleteAccount(field(form, 'password').value, field(form, 'code').value.trim());
});

// ---- Two-factor authentication -------------------------------------------------------------

function resetTwoFactorSection(): void {
  element('mfa-confirm-form').hidden = true;
  element('mfa-recovery').hidden = true;
  byTestId('mfa-secret').textContent = '';
  byTestId('mfa-recovery-codes').textContent = '';
  element('mfa-qr').replaceChildren();
}

function showRecoveryCodes(codes: string[]): void {
  byTestId('mfa-recovery-codes').textContent = codes.join('\n');
  element('mfa-recovery').hidden = false;
}

onSubmit('mfa-enroll-form', async (form) => {
  resetTwoFactorSection();
  const { secret, otpauthUri } = await client.enrollTotp(field(form, 'password').value);
  const svg = new DOMParser().parseFromString(renderSVG(otpauthUri), 'image/svg+xml').documentElement;
  element('mfa-qr').replaceChildren(document.importNode(svg, true));
  byTestId('mfa-secret').textContent = secret;
  element('mfa-confirm-form').hidden = false;
  byTestId('mfa-confirm-code').focus();
  tell(form, 'Scan the QR code, then enter the code your app shows to finish.', 'ok');
});

onSubmit('mfa-confirm-form', async (form) => {
  const codes = await client.confirmTotp(field(form, 'code').value.trim());
  form.reset();
  element('mfa-confirm-form').hidden = true;
  element('mfa-qr').replaceChildren();
  byTestId('mfa-secret').textContent = '';
  showTwoFactorState(true);
  showRecoveryCodes(codes);
  showStatus('Two-factor authentication is on. Save your recovery codes now: they are not shown again.');
});

onSubmit('mfa-regenerate-form', async (form) => {
  const codes = await client.regenerateRecoveryCodes(field(form, 'password').value, field(form, 'code').value.trim());
  form.reset();
  showRecoveryCodes(codes);
  tell(form, 'New recovery codes made; the old ones no longer work. Save these now.', 'ok');
});

onSubmit('mfa-disable-form', async (form) => {
  await client.disableTotp(field(form, 'password').value, field(form, 'code').value.trim());
  form.reset();
  resetTwoFactorSection();
  showTwoFactorState(false);
  // The set-up form is the one left in sight: the message goes there.
  tell(element<HTMLFormElement>('mfa-enroll-form'), 'Two-factor authentication is off.', 'ok');
});

element('mfa-copy').addEventListener('click', () => {
  navigator.clipboard
    .writeText(byTestId('mfa-recovery-codes').textContent ?? '')
    .then(() => showStatus('Recovery codes copied.'))
    .catch(() => showStatus('Copying is not allowed here: select the codes and copy them by hand.'));
});

// ---- Page load ------------------------------------------------------------------------------

async function start(): Promise<void> {
  const page = location.pathname;
  const tokenPages: Record<string, View> = { '/verify': 'view-verify', '/reset-password': 'view-reset', '/confirm-email': 'view-confirm-email' };
  const tokenPage = tokenPages[page];
  if (tokenPage && !linkToken) {
    linkDone('Incomplete link', 'This link is incomplete. Open it again from the mail, or copy the whole address.');
    return;
  }
  const signedIn = await client.restore();
  if (tokenPage) {
    // Nothing is sent for the token until the person submits the form.
    if (signedIn) showUser(await client.me());
    show(tokenPage);
    element(tokenPage).querySelector<HTMLElement>('input, button')?.focus();
    showStatus(
      {
        'view-verify': 'Choose a password to finish creating your account.',
        'view-reset': 'Choose a new password for your account.',
        'view-confirm-email': 'Confirm to change your account’s email address.',
      }[tokenPage as 'view-verify' | 'view-reset' | 'view-confirm-email'],
    );
    return;
  }
  if (!signedIn) {
    showSignedOut();
    showStatus('Signed out. Sign up or log in.');
    return;
  }
  const user = await client.me();
  await enterAccount(user, `Welcome back, ${user.email}.`);
}

start().catch((error: unknown) => {
  showSignedOut();
  report(null, error);
});
