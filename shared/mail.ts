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

export function verificationMail(email: string, link: string, validHours: number): MailContent {
  const subject = 'Confirm your email address';
  return {
    subject,
    text: [
      `Someone, hopefully you, signed up with ${email}.`,
      '',
      `To confirm the address and sign in, open this link within ${validHours} hours:`,
      link,
      '',
      'If this was not you, ignore this mail: nothing happens without the link.',
    ].join('\n'),
    html: layout(subject, [
      `<p>Someone, hopefully you, signed up with <strong>${escapeHtml(email)}</strong>.</p>`,
      `<p>To confirm the address and sign in, open this link within ${validHours} hours:</p>`,
      `<p><a href="${escapeHtml(link)}">${escapeHtml(link)}</a></p>`,
      '<p>If this was not you, ignore this mail: nothing happens without the link.</p>',
    ]),
  };
}

export function alreadyRegisteredMail(email: string, loginUrl: string): MailContent {
  const subject = 'You already have an account';
  return {
    subject,
    text: [
      `Someone tried to sign up again with ${email}, which already has an account.`,
      '',
      `If it was you, sign in here: ${loginUrl}`,
      'If it was not you, ignore this mail: nothing has changed.',
    ].join('\n'),
    html: layout(subject, [
      `<p>Someone tried to sign up again with <strong>${escapeHtml(email)}</strong>, which already has an account.</p>`,
      `<p>If it was you, <a href="${escapeHtml(loginUrl)}">sign in here</a>.</p>`,
      '<p>If it was not you, ignore this mail: nothing has changed.</p>',
    ]),
  };
}
