/**
 * The demo page: every step of the flow through the client, with a one-line status of what just
 * happened. Served by the local gateway at `/` (and `/verify`, where the mailed link lands).
 */
import { AuthError, createAuthClient, type User } from '../client';

const client = createAuthClient({ baseUrl: location.origin });

function byTestId<T extends HTMLElement>(id: string): T {
  return document.querySelector<T>(`[data-testid="${id}"]`)!;
}

function showStatus(text: string): void {
  byTestId('status').textContent = text;
}

function showUser(user: User | null): void {
  byTestId('me').textContent = user?.email ?? '';
}

/** A short human sentence for a failure: the API's title, its detail and any field messages. */
function describe(error: unknown): string {
  if (!(error instanceof AuthError)) return 'Something went wrong.';
  const fields = error.errors?.map((e) => `${e.field}: ${e.message}`).join('; ');
  const retry = error.retryAfterSeconds ? ` Try again in ${error.retryAfterSeconds} s.` : '';
  return [error.title, error.detail, fields].filter(Boolean).join(' — ') + retry;
}

/** A failure becomes the status line instead of an uncaught error. */
function report(error: unknown): void {
  // A 401 that ended the session has already been told by the 'session-ended' handler.
  if (error instanceof AuthError && error.status === 401 && !client.isSignedIn()) return;
  showStatus(describe(error));
}

function onSubmit(formId: string, action: () => Promise<void>): void {
  document.getElementById(formId)!.addEventListener('submit', (event) => {
    event.preventDefault();
    action().catch(report);
  });
}

function onClick(testId: string, action: () => Promise<void>): void {
  byTestId(testId).addEventListener('click', () => {
    action().catch(report);
  });
}

function value(testId: string): string {
  return byTestId<HTMLInputElement>(testId).value.trim();
}

onSubmit('register-form', async () => {
  const email = value('register-email');
  showStatus('Registering…');
  await client.register(email);
  showStatus(`Check the inbox of ${email}: the link there lets you choose your password.`);
});

onSubmit('login-form', async () => {
  const login = value('login-email');
  const password = byTestId<HTMLInputElement>('login-password').value;
  showStatus('Signing in…');
  const user = await client.login(login.includes('@') ? { email: login, password } : { username: login, password });
  showUser(user);
  showStatus(`Signed in as ${user.email}.`);
});

onClick('whoami', async () => {
  if (!client.isSignedIn()) {
    showStatus('You are not signed in.');
    return;
  }
  const user = await client.me();
  showUser(user);
  showStatus(`/me says you are ${user.email}.`);
});

onClick('logout', async () => {
  await client.logout({ scope: 'session' });
  showStatus('Signed out.');
});

onClick('logout-all', async () => {
  await client.logout({ scope: 'all' });
  showStatus('Signed out everywhere.');
});

client.on('session-ended', ({ reason }) => {
  showUser(null);
  if (reason === 'other-tab') showStatus('Signed out in another tab.');
  if (reason === 'refresh-refused') showStatus('Your session has ended. Please log in again.');
});

client.on('session-started', ({ reason }) => {
  if (reason !== 'other-tab') return;
  client
    .me()
    .then((user) => {
      showUser(user);
      showStatus(`Signed in as ${user.email} in another tab.`);
    })
    .catch(report);
});

function showMailViewerLink(): void {
  const url = document.querySelector<HTMLMetaElement>('meta[name="mail-viewer-url"]')?.content;
  const link = document.getElementById('mail-viewer') as HTMLAnchorElement;
  if (!url) return;
  link.href = url;
  link.hidden = false;
}

/**
 * `/verify?token=…`: the page asks for the password (and an optional username) and POSTs them
 * with the token only when the form is submitted, so opening the link (a mail scanner, a link an
 * attacker sent) never uses it up. The token leaves the address bar at once.
 */
function offerSignupCompletion(token: string): void {
  history.replaceState(null, '', '/');
  document.getElementById('verify-section')!.hidden = false;
  showStatus('Choose your password to finish signing up.');
  onSubmit('verify-form', async () => {
    showStatus('Creating your account…');
    const user = await client.verify(token, byTestId<HTMLInputElement>('verify-password').value, value('verify-username') || undefined);
    document.getElementById('verify-section')!.hidden = true;
    showUser(user);
    showStatus(`Account created. Signed in as ${user.email}.`);
  });
}

async function restoreSession(): Promise<void> {
  if (!(await client.restore())) {
    showStatus('Signed out. Register or log in.');
    return;
  }
  const user = await client.me();
  showUser(user);
  showStatus(`Welcome back, ${user.email}.`);
}

showMailViewerLink();
const signupToken = location.pathname === '/verify' ? new URLSearchParams(location.search).get('token') : null;
if (signupToken) offerSignupCompletion(signupToken);
else restoreSession().catch(report);
