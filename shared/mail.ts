/**
 * The mails the service sends, as text and HTML. Every user-supplied value is HTML-escaped;
 * links are built by the caller from APP_URL and a random token only.
 */
export interface MailContent {
  subject: string;
  text: string;
  html: string;
}

export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

function layout(title: string, paragraphs: string[]): string {
  return `<!doctype html><html><body style="font-family:sans-serif;line-height:1.5"><h1 style="font-size:20px">${escapeHtml(title)}</h1>${paragraphs.join('')}</body></html>`;
}

export function signupMail(email: string, link: string, validHours: number): MailContent {
  const subject = 'Finish signing up';
  return {
    subject,
    text: [
      `Someone, hopefully you, asked to sign up with ${email}.`,
      '',
      `To choose your password and create the account, open this link within ${validHours} hours:`,
      link,
      '',
      'If this was not you, ignore this mail: no account is created without the link.',
    ].join('\n'),
    html: layout(subject, [
      `<p>Someone, hopefully you, asked to sign up with <strong>${escapeHtml(email)}</strong>.</p>`,
      `<p>To choose your password and create the account, open this link within ${validHours} hours:</p>`,
      `<p><a href="${escapeHtml(link)}">${escapeHtml(link)}</a></p>`,
      '<p>If this was not you, ignore this mail: no account is created without the link.</p>',
    ]),
  };
}

export function signupAttemptNotice(email: string, links: { login: string; forgotPassword: string }): MailContent {
  const subject = 'Someone tried to sign up with your address';
  return {
    subject,
    text: [
      `Someone tried to sign up with ${email}, which already has an account.`,
      '',
      `If it was you, sign in here: ${links.login}`,
      `Forgot your password? Reset it here: ${links.forgotPassword}`,
      '',
      'If it was not you, ignore this mail: nothing has changed.',
    ].join('\n'),
    html: layout(subject, [
      `<p>Someone tried to sign up with <strong>${escapeHtml(email)}</strong>, which already has an account.</p>`,
      `<p>If it was you, <a href="${escapeHtml(links.login)}">sign in here</a>.</p>`,
      `<p>Forgot your password? <a href="${escapeHtml(links.forgotPassword)}">Reset it here</a>.</p>`,
      '<p>If it was not you, ignore this mail: nothing has changed.</p>',
    ]),
  };
}

/** A notice about a change to the account's security: what happened, and what to do if it was not the owner. */
function securityNotice(subject: string, email: string, happened: string, ifNotYou: string): MailContent {
  return notice(subject, [`${happened} (account ${email}).`, ifNotYou]);
}

const SECURE_YOUR_ACCOUNT = 'If this was not you, change your password now and sign out every session.';

export function mfaEnabledNotice(email: string): MailContent {
  return securityNotice('Two-factor authentication is on', email, 'Two-factor authentication was turned on for your account', SECURE_YOUR_ACCOUNT);
}

export function mfaDisabledNotice(email: string): MailContent {
  return securityNotice('Two-factor authentication is off', email, 'Two-factor authentication was turned off for your account', SECURE_YOUR_ACCOUNT);
}

export function passkeyAddedNotice(email: string, name: string): MailContent {
  return securityNotice('A passkey was added', email, `A passkey named "${name}" was added to your account; it can sign in without a password`, SECURE_YOUR_ACCOUNT);
}

export function identityLinkedNotice(email: string, providerName: string): MailContent {
  return securityNotice(`${providerName} was connected`, email, `Your ${providerName} account was connected to your account; it can sign in with it now`, SECURE_YOUR_ACCOUNT);
}

export function identityUnlinkedNotice(email: string, providerName: string): MailContent {
  return securityNotice(`${providerName} was disconnected`, email, `Your ${providerName} account was disconnected from your account; it no longer signs in with it`, SECURE_YOUR_ACCOUNT);
}

export function identityLinkMail(email: string, providerName: string, link: string, validMinutes: number): MailContent {
  return linkMail(
    `Connect ${providerName} to your account?`,
    [
      `Someone, hopefully you, signed in with ${providerName} using ${email}, which already has an account here.`,
      `To connect ${providerName} to that account and sign in, open this link within ${validMinutes} minutes:`,
    ],
    link,
    [`If this was not you, ignore this mail: nothing is connected without the link.`],
  );
}

export function passkeyRemovedNotice(email: string, name: string): MailContent {
  return securityNotice('A passkey was removed', email, `The passkey named "${name}" was removed from your account`, SECURE_YOUR_ACCOUNT);
}

export function recoveryCodeUsedNotice(email: string, remaining: number): MailContent {
  const left = remaining === 1 ? '1 recovery code is left' : `${remaining} recovery codes are left`;
  return securityNotice(
    'A recovery code was used',
    email,
    `A recovery code was used to sign in to your account; ${left}`,
    `${SECURE_YOUR_ACCOUNT} If it was you, consider making a fresh set of recovery codes.`,
  );
}
/** A plain notice: a few sentences, no link that changes anything. */
function notice(subject: string, sentences: string[]): MailContent {
  return {
    subject,
    text: sentences.join('\n\n'),
    html: layout(subject, sentences.map((sentence) => `<p>${escapeHtml(sentence)}</p>`)),
  };
}

function linkMail(subject: string, before: string[], link: string, after: string[]): MailContent {
  return {
    subject,
    text: [...before, link, '', ...after].join('\n'),
    html: layout(subject, [
      ...before.map((line) => `<p>${escapeHtml(line)}</p>`),
      `<p><a href="${escapeHtml(link)}">${escapeHtml(link)}</a></p>`,
      ...after.map((line) => `<p>${escapeHtml(line)}</p>`),
    ]),
  };
}

export function passwordResetMail(email: string, link: string, validMinutes: number): MailContent {
  return linkMail(
    'Reset your password',
    [`Someone, hopefully you, asked to reset the password of the account ${email}.`, `To choose a new password, open this link within ${validMinutes} minutes:`],
    link,
    ['Resetting signs you out everywhere. If this was not you, ignore this mail: your password stays as it is.'],
  );
}

export function emailChangeMail(newEmail: string, link: string, validMinutes: number): MailContent {
  return linkMail(
    'Confirm your new email address',
    [`Someone, hopefully you, asked to change an account's email address to ${newEmail}.`, `To confirm, open this link within ${validMinutes} minutes:`],
    link,
    ['If this was not you, ignore this mail: nothing changes without the link.'],
  );
}

export function passwordChangedNotice(email: string): MailContent {
  return notice('Your password was changed', [
    `The password of the account ${email} was just changed, and its other sessions were signed out.`,
    'If this was not you, reset your password now with "Forgot your password?" on the login page.',
  ]);
}

export function emailChangedNotice(oldEmail: string, newEmail: string): MailContent {
  return notice('Your email address was changed', [
    `The account that used ${oldEmail} now uses ${newEmail}; this address no longer signs in to it.`,
    'If this was not you, contact support right away.',
  ]);
}

export function accountDeletedNotice(email: string): MailContent {
  return notice('Your account was deleted', [
    `The account ${email} and its sessions were deleted.`,
    'If this was not you, contact support right away. The address can be used to sign up again.',
  ]);
}

export function emailSigninMail(email: string, link: string, code: string, validMinutes: number): MailContent {
  return linkMail(
    'Your sign-in link',
    [`Someone, hopefully you, asked to sign in to the account ${email}.`, `To sign in, open this link within ${validMinutes} minutes:`],
    link,
    [`Or type this code where you asked for it: ${code}`, 'The link and the code work once. If this was not you, ignore this mail: nobody signs in without them.'],
  );
}

export function emailSigninNoAccountMail(email: string, signupLink: string): MailContent {
  return linkMail(
    'No account with this address',
    [`Someone, hopefully you, asked to sign in with ${email}, but no account uses this address.`, 'To create one, sign up here:'],
    signupLink,
    ['If this was not you, ignore this mail.'],
  );
}
