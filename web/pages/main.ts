/**
 * The sign-in pages: sign-in card, sign-up, the pages a mail links to and the account area,
 * through the client, routed on location.pathname (and, in the account, on location.hash). The
 * pages a mail links to read nothing but the address before the person submits, so a link
 * scanner that runs the page uses nothing up. Every sentence comes from strings.ts.
 *
 * Accessibility rules this file keeps: one status line (role=status) says the outcome of every
 * action, once; a field the outcome is about gets aria-invalid and is described by that line,
 * and focus moves to it; a new view moves focus to its heading; a busy button stays focusable
 * (aria-disabled), so focus never falls to the page.
 */
import { AuthError, createAuthClient, type IdentityProvider, type LoginResult, type Session, type StepUp, type User } from '../client';
import { startDevInbox } from './dev-inbox';
import { describeError, fieldsOf } from './messages';
import { groupedKey, qrCodeSvg } from './qr';
import { securityEventRows } from './security-events';
import { setProductName, text, type StringKey } from './strings';

interface PageSettings {
  apiUrl?: string;
  productName?: string;
  mailViewerUrl?: string;
}

function readSettings(): PageSettings {
  try {
    return JSON.parse(document.querySelector<HTMLMetaElement>('meta[name="pages-settings"]')?.content || '{}') as PageSettings;
  } catch {
    return {};
  }
}

const settings = readSettings();
if (settings.productName) setProductName(settings.productName);
const client = createAuthClient({ baseUrl: settings.apiUrl || location.origin });
const inbox = startDevInbox(settings.mailViewerUrl);

const views = [
  'view-sign-in',
  'view-sign-up',
  'view-sent',
  'view-forgot',
  'view-mfa',
  'view-verify',
  'view-reset',
  'view-confirm-email',
  'view-email-signin',
  'view-link-identity',
  'view-link-done',
  'view-account',
] as const;
type View = (typeof views)[number];

const sections = ['profile', 'password', 'two-factor', 'sign-in-methods', 'sessions', 'activity', 'danger-zone'] as const;
type Section = (typeof sections)[number];

function element<T extends HTMLElement>(id: string): T {
  return document.getElementById(id) as T;
}

function byTestId<T extends HTMLElement>(id: string): T {
  return document.querySelector<T>(`[data-testid="${id}"]`)!;
}

function currentView(): View | undefined {
  return views.find((id) => !element(id).hidden);
}

/** Shows one view; with `focus`, its heading takes focus (the account: the section's). */
function show(view: View, { focus = true } = {}): void {
  for (const id of views) element(id).hidden = id !== view;
  document.querySelector('main')!.className = view === 'view-account' ? 'wide' : 'narrow';
  if (view === 'view-account') {
    showSection(sectionFromHash(), { focus });
    return;
  }
  if (focus) element(view).querySelector<HTMLElement>('h1')?.focus();
}

// ---- The one status line ---------------------------------------------------------------------

type Tone = 'info' | 'ok' | 'error';

function say(sentence: string, tone: Tone = 'info'): void {
  const status = byTestId('status');
  status.textContent = sentence;
  status.className = `status ${tone}`;
}

function clearInvalid(form: HTMLFormElement): void {
  for (const input of form.querySelectorAll<HTMLInputElement>('[aria-invalid="true"]')) unmarkInvalid(input);
}

function unmarkInvalid(input: HTMLInputElement): void {
  input.removeAttribute('aria-invalid');
  const describedBy = (input.getAttribute('aria-describedby') ?? '').split(' ').filter((id) => id && id !== 'status');
  if (describedBy.length) input.setAttribute('aria-describedby', describedBy.join(' '));
  else input.removeAttribute('aria-describedby');
}

/** The field is what the status line is about: marked, and described by the line. */
function markInvalid(input: HTMLInputElement): void {
  input.setAttribute('aria-invalid', 'true');
  const describedBy = (input.getAttribute('aria-describedby') ?? '').split(' ').filter(Boolean);
  if (!describedBy.includes('status')) input.setAttribute('aria-describedby', [...describedBy, 'status'].join(' '));
  input.addEventListener('input', () => unmarkInvalid(input), { once: true });
}

function isShown(node: HTMLElement): boolean {
  return node.closest('[hidden]') === null;
}

/** The form's inputs each API field name stands for. */
const inputsOfApiField: Record<string, string[]> = {
  email: ['email'],
  newEmail: ['email'],
  login: ['login'],
  password: ['password'],
  currentPassword: ['current'],
  newPassword: ['new'],
  username: ['username'],
  code: ['code'],
  recoveryCode: ['code'],
};

function inputsFor(form: HTMLFormElement, apiFields: string[]): HTMLInputElement[] {
  const names = new Set(apiFields.flatMap((field) => inputsOfApiField[field] ?? [field]));
  return [...form.querySelectorAll<HTMLInputElement>('input[name]')].filter((input) => names.has(input.name) && isShown(input));
}

/** Marks the fields and moves focus to the first: the person lands where the fix is. */
function pointAt(inputs: HTMLInputElement[]): void {
  for (const input of inputs) markInvalid(input);
  inputs[0]?.focus();
}

// ---- Forms -------------------------------------------------------------------------------------

function field(form: HTMLFormElement, name: string): HTMLInputElement {
  return form.elements.namedItem(name) as HTMLInputElement;
}

function passwordInputs(root: ParentNode): HTMLInputElement[] {
  return [...root.querySelectorAll<HTMLInputElement>('.with-toggle input')];
}

/** Empties the passwords and hides them again. */
function clearPasswords(form: HTMLFormElement): void {
  for (const input of passwordInputs(form)) {
    input.value = '';
    showPassword(input, false);
  }
}

function showPassword(input: HTMLInputElement, visible: boolean): void {
  input.type = visible ? 'text' : 'password';
  input.parentElement?.querySelector('.toggle')?.setAttribute('aria-pressed', String(visible));
}

/** A "Show" control beside every password field. */
function addShowPasswordControls(): void {
  for (const input of passwordInputs(document)) {
    const toggle = document.createElement('button');
    toggle.type = 'button';
    toggle.className = 'toggle';
    toggle.textContent = text('showPassword');
    toggle.setAttribute('aria-label', text('showPasswordLabel'));
    toggle.setAttribute('aria-pressed', 'false');
    toggle.setAttribute('aria-controls', input.id);
    toggle.addEventListener('click', () => showPassword(input, input.type === 'password'));
    input.after(toggle);
  }
}

/** Empty fields in sight that the action needs, before anything is sent. */
function emptyFields(form: HTMLFormElement): HTMLInputElement[] {
  return [...form.querySelectorAll<HTMLInputElement>('input[data-required]')].filter((input) => isShown(input) && input.value.trim() === '');
}

/**
 * Runs a form's action; the button stays focusable while it runs (a second submit is ignored).
 * Empty fields are named before anything is sent; failures become the status line and mark
 * their fields. Passwords are cleared afterwards, whatever happened.
 */
function onSubmit(formId: string, action: (form: HTMLFormElement) => Promise<void>): void {
  const form = element<HTMLFormElement>(formId);
  let busy = false;
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    if (busy) return;
    clearInvalid(form);
    const empty = emptyFields(form);
    if (empty.length > 0) {
      say(empty.map((input) => text(input.dataset.required as StringKey)).join(' '), 'error');
      pointAt(empty);
      return;
    }
    const button = form.querySelector<HTMLButtonElement>('button[type="submit"]')!;
    busy = true;
    button.setAttribute('aria-disabled', 'true');
    action(form)
      .catch((error: unknown) => report(form, error))
      .finally(() => {
        busy = false;
        button.removeAttribute('aria-disabled');
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
  say(describeError(error), 'error');
  if (form) pointAt(inputsFor(form, fieldsOf(error)));
}

/** Same-origin links between the signed-out pages change the view without a reload. */
function onNavigate(link: HTMLAnchorElement, render: () => void): void {
  link.addEventListener('click', (event) => {
    if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
    event.preventDefault();
    history.pushState(null, '', new URL(link.href).pathname);
    render();
  });
}

// ---- Signed-in state ---------------------------------------------------------------------------

let currentUser: User | null = null;

function showUser(user: User | null): void {
  currentUser = user;
  byTestId('me').textContent = user?.email ?? '';
  document.querySelector<HTMLElement>('.who')!.hidden = user === null;
  if (user) inbox.use(user.email);
  element('profile-email').textContent = user?.email ?? '';
  element('profile-username').textContent = user?.username ?? '—';
  element('profile-created').textContent = user ? new Date(user.createdAt).toLocaleDateString(undefined, { dateStyle: 'long' }) : '';
  const mfaWord = user ? text(user.mfaEnabled ? 'on' : 'off') : '';
  element('profile-mfa').textContent = mfaWord;
  element('methods-mfa').textContent = mfaWord;
  // Password managers file what is saved on these forms under the account's address.
  for (const input of document.querySelectorAll<HTMLInputElement>('#view-account .username-for-managers')) input.value = user?.email ?? '';
  renderTwoFactor();
}

function sectionFromHash(): Section {
  const name = location.hash.slice(1);
  return (sections as readonly string[]).includes(name) ? (name as Section) : 'profile';
}

function showSection(section: Section, { focus = true } = {}): void {
  for (const panel of document.querySelectorAll<HTMLElement>('[data-section]')) panel.hidden = panel.dataset.section !== section;
  for (const link of document.querySelectorAll<HTMLAnchorElement>('[data-section-link]')) {
    if (link.dataset.sectionLink === section) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  }
  if (focus) document.querySelector<HTMLElement>(`[data-section="${section}"] h1`)?.focus();
}

window.addEventListener('hashchange', () => {
  if (currentView() !== 'view-account') return;
  say('');
  showSection(sectionFromHash());
  // The activity of a moment ago (a sign-in elsewhere) shows when the section opens.
  if (sectionFromHash() === 'activity') void loadSecurityEvents();
});

async function enterAccount(user: User, status: string): Promise<void> {
  showUser(user);
  history.replaceState(null, '', `/${location.pathname === '/' ? location.hash : ''}`);
  show('view-account');
  say(status, 'ok');
  await Promise.all([loadSessions(), loadPasskeys(), loadMethods()]);
}

function leaveAccount(status: string, tone: Tone): void {
  const wasInAccount = currentView() === 'view-account';
  showUser(null);
  byTestId('sessions').replaceChildren();
  byTestId('security-events').replaceChildren();
  resetTwoFactor();
  if (location.pathname === '/' || wasInAccount) {
    history.replaceState(null, '', '/');
    show('view-sign-in');
  }
  say(status, tone);
}

const endedText: Record<string, StringKey> = {
  logout: 'endedLogout',
  'account-deleted': 'endedDeleted',
  'refresh-refused': 'endedRefused',
  'other-tab': 'endedOtherTab',
};

/** Set while the page-load restore runs: a refused refresh then means the session expired meanwhile. */
let restoring = false;
let endedWhileRestoring = false;

client.on('session-ended', ({ reason }) => {
  if (restoring) {
    endedWhileRestoring = true;
    return;
  }
  leaveAccount(text(endedText[reason]!), reason === 'logout' || reason === 'account-deleted' ? 'ok' : 'info');
});

client.on('session-started', ({ reason }) => {
  if (reason !== 'other-tab') return;
  client
    .me()
    .then((user) => enterAccount(user, text('signedInOtherTab', { email: user.email })))
    .catch((error: unknown) => report(null, error));
});

// ---- Signed out: the sign-in card --------------------------------------------------------------

const signedOutViews: Record<string, View> = { '/': 'view-sign-in', '/signin': 'view-sign-in', '/sign-up': 'view-sign-up', '/forgot-password': 'view-forgot' };
const signedOutStatus: Record<string, StringKey> = { '/': 'statusSignedOut', '/signin': 'statusSignedOut', '/sign-up': 'statusSignUp', '/forgot-password': 'statusForgot' };

function showSignedOut({ focus = true } = {}): void {
  const path = location.pathname in signedOutViews ? location.pathname : '/';
  show(signedOutViews[path]!, { focus });
  say(text(signedOutStatus[path]!));
}

for (const link of document.querySelectorAll<HTMLAnchorElement>(
  '#view-sign-in .switch a, #view-sign-up .switch a, #forgot-link, #back-to-login, #view-sent a, #login-mfa-cancel',
)) {
  onNavigate(link, () => {
    pendingMfaToken = null;
    showSignedOut();
  });
}

window.addEventListener('popstate', () => {
  if (!client.isSignedIn() && location.pathname in signedOutViews) showSignedOut();
});

/** Sign-up and forgot-password: one mail on its way, the "Check your inbox" card, the address in the status. */
function onSendLink(formId: string, send: (email: string) => Promise<unknown>, sentence: StringKey): void {
  onSubmit(formId, async (form) => {
    const email = field(form, 'email').value.trim();
    inbox.use(email);
    await send(email);
    form.reset();
    show('view-sent');
    say(text(sentence, { email }), 'ok');
  });
}

onSendLink('register-form', (email) => client.register(email), 'checkInbox');
onSendLink('forgot-form', (email) => client.forgotPassword(email), 'resetSent');

onSubmit('login-form', async (form) => {
  const login = field(form, 'login').value.trim();
  const password = field(form, 'password').value;
  if (login.includes('@')) inbox.use(login);
  const result = await client.login(login.includes('@') ? { email: login, password } : { username: login, password });
  form.reset();
  await afterSignIn(result);
});

// The login's second step: the mfaToken stays in memory only, for the 5 minutes it is valid.
let pendingMfaToken: string | null = null;

onSubmit('login-mfa-form', async (form) => {
  const typed = field(form, 'code').value.trim();
  const digits = typed.replace(/\s/g, '');
  try {
    const user = await client.verifyMfa(pendingMfaToken ?? '', /^\d{6}$/.test(digits) ? { code: digits } : { recoveryCode: typed });
    pendingMfaToken = null;
    form.reset();
    await enterAccount(user, text('signedIn', { email: user.email }));
  } catch (error) {
    // The token is used up or expired: the password step again.
    if (!isDeadLink(error)) throw error;
    pendingMfaToken = null;
    history.replaceState(null, '', '/');
    show('view-sign-in');
    say(text('mfaExpired'), 'error');
  }
});

// ---- Passwordless sign-in: passkeys and mailed links or codes ------------------------------------

/** A sign-in that may ask for the second factor (password login, email sign-in): the account, or the code step. */
async function afterSignIn(result: LoginResult): Promise<void> {
  if (result.mfaRequired) {
    pendingMfaToken = result.mfaToken;
    element<HTMLFormElement>('login-mfa-form').reset();
    show('view-mfa');
    say(text('mfaNeeded'));
    return;
  }
  await enterAccount(result.user, text('signedIn', { email: result.user.email }));
}

onClick('passkey-signin', async () => {
  const user = await client.signInWithPasskey();
  await enterAccount(user, text('signedIn', { email: user.email }));
});

onSubmit('email-signin-form', async (form) => {
  const email = field(form, 'email').value.trim();
  inbox.use(email);
  await client.requestEmailSignIn(email);
  say(text('emailSigninSent', { email }), 'ok');
});

onSubmit('email-signin-code-form', async (form) => {
  const email = byTestId<HTMLInputElement>('email-signin-email').value.trim();
  const code = field(form, 'code').value.replace(/\s/g, '');
  const result = await client.completeEmailSignIn({ email, code });
  form.reset();
  await afterSignIn(result);
});

// The page a sign-in mail links to asks before it POSTs: a mail scanner opening the link uses nothing.
onSubmit('email-signin-confirm-form', async () => {
  let result: LoginResult;
  try {
    result = await client.completeEmailSignIn({ token: linkToken ?? '' });
  } catch (error) {
    if (!isDeadLink(error)) throw error;
    linkDone('linkDeadTitle', text('emailSigninLinkDead'), 'error');
    return;
  }
  history.replaceState(null, '', '/');
  await afterSignIn(result);
});

function passkeyStepUp(): StepUp {
  const password = byTestId<HTMLInputElement>('passkey-password').value;
  const code = byTestId<HTMLInputElement>('passkey-code').value.trim();
  return { ...(password ? { password } : { passkey: true as const }), ...(code ? { code } : {}) };
}

async function loadPasskeys(): Promise<void> {
  const list = byTestId<HTMLUListElement>('passkey-list');
  const passkeys = await client.listPasskeys();
  list.replaceChildren(
    ...passkeys.map((passkey) => {
      const item = document.createElement('li');
      item.dataset.testid = 'passkey-item';
      const name = document.createElement('span');
      name.textContent = passkey.name;
      const remove = document.createElement('button');
      remove.type = 'button';
      remove.className = 'secondary small';
      remove.dataset.testid = 'passkey-delete';
      remove.textContent = text('passkeyDelete');
      remove.addEventListener('click', () => {
        client
          .deletePasskey(passkey.id, passkeyStepUp())
          .then(async () => {
            say(text('passkeyRemoved'), 'ok');
            await loadPasskeys();
          })
          .catch((error: unknown) => report(null, error));
      });
      item.append(name, ' ', remove);
      return item;
    }),
  );
  if (passkeys.length === 0) {
    const none = document.createElement('li');
    none.textContent = text('passkeyNone');
    list.append(none);
  }
}

onSubmit('passkey-form', async (form) => {
  const name = field(form, 'name').value.trim();
  await client.registerPasskey(passkeyStepUp(), name || undefined);
  form.reset();
  say(text('passkeyAdded'), 'ok');
  await loadPasskeys();
});

// ---- Identity providers: "Continue with", the methods card, the connect link ---------------------

let providers: IdentityProvider[] = [];
const providerName = (id: string) => providers.find((provider) => provider.id === id)?.name ?? id;

/** The "Continue with <provider>" buttons of the sign-in card, one per configured provider. */
async function loadProviders(): Promise<void> {
  providers = await client.identityProviders().catch(() => []);
  const box = element('provider-buttons');
  box.replaceChildren(
    ...providers.map((provider) => {
      const button = document.createElement('button');
      button.type = 'button';
      button.className = 'secondary';
      button.dataset.testid = `oauth-${provider.id}`;
      button.textContent = text('continueWith', { provider: provider.name });
      button.addEventListener('click', () => {
        say(text('identityConnecting', { provider: provider.name }));
        client.signInWith(provider.id, { returnTo: '/' });
      });
      return button;
    }),
  );
  box.hidden = providers.length === 0;
}

/**
 * The step-up for connecting and disconnecting: the section's one password field (and code), as
 * for passkeys; empty, a passkey when the account has one, else a sign-in under 10 minutes old.
 */
let hasPasskeys = false;
function identityStepUp(): StepUp | undefined {
  const password = byTestId<HTMLInputElement>('passkey-password').value;
  const code = byTestId<HTMLInputElement>('passkey-code').value.trim();
  if (password) return { password, ...(code ? { code } : {}) };
  return hasPasskeys ? { passkey: true, ...(code ? { code } : {}) } : undefined;
}

function clearIdentityStepUp(): void {
  byTestId<HTMLInputElement>('passkey-password').value = '';
  byTestId<HTMLInputElement>('passkey-code').value = '';
}

/** The sign-in methods card: password, two-factor, each connected provider (with Disconnect), a Connect button per other provider. */
async function loadMethods(): Promise<void> {
  const methods = await client.signInMethods();
  hasPasskeys = methods.passkeys.length > 0;
  element('methods-password').textContent = methods.password ? text('on') : text('methodNoPassword');
  const list = byTestId<HTMLUListElement>('methods-list');
  for (const old of list.querySelectorAll('[data-identity]')) old.remove();
  for (const identity of methods.identities) {
    const item = document.createElement('li');
    item.dataset.identity = identity.id;
    item.dataset.testid = `identity-${identity.provider}`;
    const name = document.createElement('span');
    name.textContent = identity.email ? text('identityItem', { provider: providerName(identity.provider), email: identity.email }) : providerName(identity.provider);
    const unlink = document.createElement('button');
    unlink.type = 'button';
    unlink.className = 'secondary small';
    unlink.dataset.testid = `unlink-${identity.provider}`;
    unlink.textContent = text('identityDisconnect', { provider: providerName(identity.provider) });
    unlink.addEventListener('click', () => {
      client
        .unlinkIdentity(identity.id, identityStepUp())
        .then(async () => {
          clearIdentityStepUp();
          await loadMethods();
          say(text('identityDisconnected', { provider: providerName(identity.provider) }), 'ok');
        })
        .catch((error: unknown) => report(element<HTMLFormElement>('passkey-form'), error));
    });
    item.append(name, ' ', unlink);
    list.append(item);
  }
  const linked = new Set(methods.identities.map((identity) => identity.provider));
  element('identity-connect').replaceChildren(
    ...providers
      .filter((provider) => !linked.has(provider.id))
      .map((provider) => {
        const connect = document.createElement('button');
        connect.type = 'button';
        connect.className = 'secondary';
        connect.dataset.testid = `link-${provider.id}`;
        connect.textContent = text('identityConnect', { provider: provider.name });
        connect.addEventListener('click', () => {
          client
            .linkProvider(provider.id, identityStepUp(), { returnTo: '/#sign-in-methods' })
            .then(() => say(text('identityConnecting', { provider: provider.name })))
            .catch((error: unknown) => report(element<HTMLFormElement>('passkey-form'), error))
            .finally(clearIdentityStepUp);
        });
        return connect;
      }),
  );
}

/** What the provider's callback said in the fragment (`/signin#error=…`, `#notice=…`), as a sentence. */
const redirectOutcomes: Record<string, [StringKey, Tone]> = {
  link_mail_sent: ['linkMailSent', 'ok'],
  oauth_failed: ['oauthFailed', 'error'],
  oauth_cancelled: ['oauthCancelled', 'error'],
  invalid_state: ['oauthInvalidState', 'error'],
  email_not_verified: ['oauthEmailNotVerified', 'error'],
  identity_in_use: ['oauthIdentityInUse', 'error'],
  account_disabled: ['oauthAccountDisabled', 'error'],
};

function redirectOutcome(): [string, Tone] | undefined {
  if (location.pathname !== '/signin') return undefined;
  const fragment = new URLSearchParams(location.hash.slice(1));
  const found = redirectOutcomes[fragment.get('error') ?? fragment.get('notice') ?? ''];
  return found ? [text(found[0]), found[1]] : undefined;
}

// The connect link's page asks before it POSTs: a mail scanner opening the link uses nothing.
onSubmit('link-identity-form', async () => {
  let result: LoginResult;
  try {
    result = await client.confirmIdentity(linkToken ?? '');
  } catch (error) {
    if (!isDeadLink(error)) throw error;
    linkDone('linkDeadTitle', text('identityLinkDead'), 'error');
    return;
  }
  history.replaceState(null, '', '/');
  await afterSignIn(result);
});

// ---- Pages a mail links to ---------------------------------------------------------------------

const linkToken = new URLSearchParams(location.search).get('token');

/** The link is used up or cannot be used: the form goes, the status says why, one way on. */
function linkDone(title: StringKey, sentence: string, tone: Tone, next: { href: string; label: StringKey } = { href: '/', label: 'goToSignIn' }): void {
  history.replaceState(null, '', '/');
  element('link-done-title').textContent = text(title);
  const link = element<HTMLAnchorElement>('link-done-next');
  link.href = next.href;
  link.textContent = text(next.label);
  show('view-link-done');
  say(sentence, tone);
}

function isDeadLink(error: unknown): boolean {
  return error instanceof AuthError && error.code === 'invalid_token';
}

const deadSignupLink = () => linkDone('linkDeadTitle', text('signupLinkDead'), 'error', { href: '/sign-up', label: 'signUpAgain' });

onSubmit('verify-form', async (form) => {
  try {
    const username = field(form, 'username').value.trim();
    const user = await client.verify(linkToken ?? '', field(form, 'password').value, username || undefined);
    form.reset();
    await enterAccount(user, text('welcomeNew', { email: user.email }));
  } catch (error) {
    // A weak password or a taken username leaves the link usable: the form stays for another try.
    if (!isDeadLink(error)) throw error;
    deadSignupLink();
  }
});

/** The verify page names the address the account is for (read, never used up, by the API). */
async function showSignupAddress(): Promise<void> {
  let email: string | null = null;
  try {
    email = await client.signupAddress(linkToken ?? '');
  } catch (error) {
    if (isDeadLink(error)) {
      deadSignupLink();
      return;
    }
  }
  byTestId('verify-address').textContent = email ?? '';
  field(element('verify-form'), 'account').value = email ?? '';
  element('verify-for-known').hidden = email === null;
  element('verify-for-unknown').hidden = email !== null;
}

onSubmit('reset-form', async (form) => {
  try {
    await client.resetPassword(linkToken ?? '', field(form, 'password').value);
  } catch (error) {
    if (!isDeadLink(error)) throw error;
    linkDone('linkDeadTitle', text('resetLinkDead'), 'error', { href: '/forgot-password', label: 'newResetLink' });
    return;
  }
  // Every session of the account has ended, this browser's too if it was signed in to it.
  if (client.isSignedIn()) await client.refresh().catch(() => false);
  linkDone('passwordChangedTitle', text('passwordChangedReset'), 'ok');
});

onSubmit('confirm-email-form', async () => {
  let user: User;
  try {
    user = await client.confirmEmail(linkToken ?? '');
  } catch (error) {
    if (!isDeadLink(error)) throw error;
    linkDone('linkDeadTitle', text('confirmLinkDead'), 'error');
    return;
  }
  inbox.use(user.email);
  if (client.isSignedIn() && currentUser?.id === user.id) {
    await enterAccount(user, text('emailNow', { email: user.email }));
    return;
  }
  linkDone('emailChangedTitle', text('emailNowSignIn', { email: user.email }), 'ok');
});

// ---- Signed in: profile, password, sessions, danger zone --------------------------------------

onClick('whoami', async () => {
  const user = await client.me();
  showUser(user);
  say(text('youAreSignedIn', { email: user.email }), 'ok');
});

onClick('logout', async () => {
  await client.logout({ scope: 'session' });
});

onClick('logout-all', async () => {
  await client.logout({ scope: 'all' });
  say(text('signedOutEverywhere'), 'ok');
});

onSubmit('change-email-form', async (form) => {
  const newEmail = field(form, 'email').value.trim();
  await client.changeEmail(field(form, 'password').value, newEmail, field(form, 'code').value.trim());
  inbox.use(newEmail);
  form.reset();
  field(form, 'account').value = currentUser?.email ?? '';
  say(text('emailChangeSent', { email: newEmail, current: currentUser?.email ?? text('yourCurrentAddress') }), 'ok');
});

onSubmit('change-password-form', async (form) => {
  await client.changePassword(field(form, 'current').value, field(form, 'new').value, field(form, 'code').value.trim());
  field(form, 'code').value = '';
  say(text('passwordChanged'), 'ok');
  await loadSessions();
});

onSubmit('delete-form', async (form) => {
  // 'session-ended' (account-deleted) shows the signed-out view.
  await client.deleteAccount(field(form, 'password').value, field(form, 'code').value.trim());
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
  if (!userAgent) return text('unknownDevice');
  const browser = browsers.find(([pattern]) => pattern.test(userAgent))?.[1];
  const system = systems.find(([pattern]) => pattern.test(userAgent))?.[1];
  if (!browser) return userAgent.slice(0, 40);
  return system ? `${browser} · ${system}` : browser;
}

const relative = new Intl.RelativeTimeFormat(undefined, { numeric: 'auto' });

/** "just now", "5 minutes ago", "yesterday": how people read a session list. */
function ago(iso: string): string {
  const seconds = Math.round((new Date(iso).getTime() - Date.now()) / 1000);
  if (seconds > -60) return text('justNow');
  const units: Array<[Intl.RelativeTimeFormatUnit, number]> = [['minute', 60], ['hour', 3600], ['day', 86_400]];
  const [unit, size] = units.findLast(([, size]) => -seconds >= size) ?? units[0]!;
  return relative.format(Math.round(seconds / size), unit);
}

function sessionRow(session: Session): HTMLLIElement {
  const row = document.createElement('li');
  row.className = 'session';
  row.dataset.testid = 'session-row';
  row.dataset.current = String(session.current);
  const details = document.createElement('div');
  const device = document.createElement('div');
  device.className = 'device';
  const name = deviceName(session.userAgent);
  device.textContent = name;
  if (session.current) {
    const badge = document.createElement('span');
    badge.className = 'badge';
    badge.textContent = text('thisDevice');
    device.append(badge);
  }
  const meta = document.createElement('div');
  meta.className = 'meta';
  meta.textContent = text('sessionMeta', {
    address: session.ipAddress ?? text('unknownAddress'),
    active: ago(session.lastUsedAt),
    created: ago(session.createdAt),
  });
  details.append(device, meta);
  const revoke = document.createElement('button');
  revoke.type = 'button';
  revoke.className = 'secondary';
  revoke.dataset.testid = 'session-revoke';
  revoke.textContent = text(session.current ? 'signOutThisDevice' : 'signOutDevice');
  if (!session.current) revoke.setAttribute('aria-label', text('signOutNamedDevice', { device: name }));
  revoke.addEventListener('click', () => {
    if (revoke.getAttribute('aria-disabled') === 'true') return;
    revoke.setAttribute('aria-disabled', 'true');
    revokeSession(session).catch(async (error: unknown) => {
      revoke.removeAttribute('aria-disabled');
      if (!(error instanceof AuthError && error.code === 'not_found')) return say(describeError(error), 'error');
      await loadSessions();
      say(text('deviceAlreadyOut'), 'ok');
    });
  });
  row.append(details, revoke);
  return row;
}

async function loadSessions(): Promise<void> {
  const list = await client.listSessions().catch((error: unknown) => {
    report(null, error);
    return null;
  });
  if (list) byTestId('sessions').replaceChildren(...list.map(sessionRow));
  // Whatever changed the sessions (a sign-in, a password change) is security activity too.
  await loadSecurityEvents();
}

async function loadSecurityEvents(): Promise<void> {
  const events = await client.listSecurityEvents().catch(() => null);
  if (!events) return;
  const rows = securityEventRows(events.slice(0, 10), deviceName, ago);
  if (rows.length === 0) {
    const empty = document.createElement('li');
    empty.className = 'hint';
    empty.textContent = text('activityEmpty');
    rows.push(empty);
  }
  byTestId('security-events').replaceChildren(...rows);
}

async function revokeSession(session: Session): Promise<void> {
  // Revoking this very session signs out: 'session-ended' takes it from there.
  await client.revokeSession(session.id);
  if (session.current) return;
  await loadSessions();
  say(text('deviceSignedOut', { device: deviceName(session.userAgent) }), 'ok');
  element('sessions-title').focus();
}

// ---- Two-factor authentication -----------------------------------------------------------------

/** Where the two-factor section is: the set-up steps, and which password form is open while on. */
let twoFactorStep: 'idle' | 'setup' = 'idle';
let openTwoFactorForm: 'regenerate' | 'disable' | null = null;

/**
 * Only what applies: the password step of set-up while off (replaced by the steps once the
 * password is accepted); while on, the two buttons and at most one of their forms, and the code
 * fields of the other forms. A field that goes out of sight is emptied, so a code typed for the
 * old state is never sent.
 */
function renderTwoFactor(): void {
  const enabled = currentUser?.mfaEnabled ?? false;
  for (const part of document.querySelectorAll<HTMLElement>('[data-mfa]')) {
    part.hidden = (part.dataset.mfa === 'on') !== enabled || (part.id === 'mfa-enroll-form' && twoFactorStep === 'setup');
  }
  element('mfa-setup').hidden = enabled || twoFactorStep !== 'setup';
  for (const name of ['regenerate', 'disable'] as const) {
    const open = enabled && openTwoFactorForm === name;
    element(`mfa-${name}-form`).hidden = !open;
    byTestId(`mfa-${name}-open`).setAttribute('aria-expanded', String(open));
  }
  element('mfa-state').textContent = currentUser ? text(enabled ? 'twoFactorIsOn' : 'twoFactorIsOff') : '';
  for (const input of document.querySelectorAll<HTMLInputElement>('[data-mfa][hidden] input, .subform[hidden] input')) {
    if (!input.classList.contains('username-for-managers')) input.value = '';
  }
}

function resetTwoFactor(): void {
  twoFactorStep = 'idle';
  openTwoFactorForm = null;
  element('mfa-recovery').hidden = true;
  byTestId('mfa-secret').replaceChildren();
  byTestId('mfa-recovery-codes').textContent = '';
  element('mfa-qr').replaceChildren();
  renderTwoFactor();
}

function setTwoFactor(enabled: boolean): void {
  if (currentUser) currentUser = { ...currentUser, mfaEnabled: enabled };
  showUser(currentUser);
}

function showRecoveryCodes(codes: string[]): void {
  byTestId('mfa-recovery-codes').textContent = codes.join('\n');
  element('mfa-recovery').hidden = false;
  element('mfa-recovery-title').focus();
}

onSubmit('mfa-enroll-form', async (form) => {
  const { secret, otpauthUri } = await client.enrollTotp(field(form, 'password').value);
  form.reset();
  element('mfa-recovery').hidden = true;
  element('mfa-qr').replaceChildren(qrCodeSvg(otpauthUri));
  byTestId('mfa-secret').replaceChildren(...groupedKey(secret));
  twoFactorStep = 'setup';
  renderTwoFactor();
  say(text('setupStarted'));
  element('mfa-setup-title').focus();
});

element('mfa-setup-cancel').addEventListener('click', () => {
  resetTwoFactor();
  say(text('setupCancelled'));
  byTestId('mfa-enroll-password').focus();
});

onSubmit('mfa-confirm-form', async (form) => {
  const codes = await client.confirmTotp(field(form, 'code').value.trim());
  form.reset();
  twoFactorStep = 'idle';
  element('mfa-qr').replaceChildren();
  byTestId('mfa-secret').replaceChildren();
  setTwoFactor(true);
  say(text('twoFactorOn'), 'ok');
  showRecoveryCodes(codes);
});

for (const name of ['regenerate', 'disable'] as const) {
  byTestId(`mfa-${name}-open`).addEventListener('click', () => {
    openTwoFactorForm = openTwoFactorForm === name ? null : name;
    element('mfa-recovery').hidden = true;
    renderTwoFactor();
    if (openTwoFactorForm) element(`mfa-${name}-title`).focus();
  });
}

onSubmit('mfa-regenerate-form', async (form) => {
  const codes = await client.regenerateRecoveryCodes(field(form, 'password').value, field(form, 'code').value.trim());
  form.reset();
  openTwoFactorForm = null;
  renderTwoFactor();
  say(text('codesRegenerated'), 'ok');
  showRecoveryCodes(codes);
});

onSubmit('mfa-disable-form', async (form) => {
  await client.disableTotp(field(form, 'password').value, field(form, 'code').value.trim());
  form.reset();
  resetTwoFactor();
  setTwoFactor(false);
  say(text('twoFactorOff'), 'ok');
  element('mfa-section-title').focus();
});

element('mfa-copy').addEventListener('click', () => {
  navigator.clipboard
    .writeText(byTestId('mfa-recovery-codes').textContent ?? '')
    .then(() => say(text('codesCopied'), 'ok'))
    .catch(() => say(text('codesCopyRefused'), 'error'));
});

// ---- Page load ---------------------------------------------------------------------------------

const tokenPages: Record<string, { view: View; status: StringKey }> = {
  '/verify': { view: 'view-verify', status: 'verifyStatus' },
  '/reset-password': { view: 'view-reset', status: 'resetStatus' },
  '/confirm-email': { view: 'view-confirm-email', status: 'confirmStatus' },
  '/email-signin': { view: 'view-email-signin', status: 'emailSigninStatus' },
  '/link-identity': { view: 'view-link-identity', status: 'linkIdentityStatus' },
};

async function start(): Promise<void> {
  addShowPasswordControls();
  const tokenPage = tokenPages[location.pathname];
  if (tokenPage && !linkToken) {
    linkDone('linkIncompleteTitle', text('linkIncomplete'), 'error');
    return;
  }
  // Back from a provider with two-factor on: the code step, its mfaToken from the fragment (never sent anywhere).
  const mfaToken = location.pathname === '/mfa' ? new URLSearchParams(location.hash.slice(1)).get('mfaToken') : null;
  if (mfaToken) {
    pendingMfaToken = mfaToken;
    history.replaceState(null, '', '/');
    show('view-mfa', { focus: false });
    say(text('mfaNeededProvider'));
    void loadProviders();
    return;
  }
  const outcome = redirectOutcome();
  restoring = true;
  const [signedIn] = await Promise.all([client.restore().finally(() => (restoring = false)), loadProviders()]);
  if (tokenPage) {
    // Nothing is used up before the person submits the form.
    if (signedIn) showUser(await client.me());
    show(tokenPage.view, { focus: false });
    say(text(tokenPage.status));
    if (tokenPage.view === 'view-verify') await showSignupAddress();
    return;
  }
  if (outcome) history.replaceState(null, '', '/');
  if (!signedIn) {
    showSignedOut({ focus: false });
    if (endedWhileRestoring) say(text('endedExpired'));
    if (outcome) say(...outcome);
    return;
  }
  const user = await client.me();
  showUser(user);
  show('view-account', { focus: false });
  say(text('welcomeBack', { email: user.email }), 'ok');
  await Promise.all([loadSessions(), loadPasskeys(), loadMethods()]);
  if (outcome) say(...outcome);
}

start().catch((error: unknown) => {
  showSignedOut({ focus: false });
  report(null, error);
});
