/**
 * The dev inbox: on the local stack only (the page gets the mail viewer's URL there), the mails
 * the local SES emulator received for the addresses used on this page, with their links opening
 * in this tab. The local gateway relays the emulator's store at /dev/mails (same origin: the
 * emulator sends no CORS headers). It folds away (remembered for the tab).
 */
import { text, type StringKey } from './strings';

interface DevMail {
  to: string[];
  subject: string;
  text: string;
  at: number;
}

export interface DevInbox {
  /** Shows mails to this address too (sign-up, login, forgot, new email, the signed-in user). */
  use(address: string): void;
}

const addressesKey = 'serverless-auth-pages:inbox-addresses';
const foldedKey = 'serverless-auth-pages:inbox-folded';
const pollMs = 1500;
const shownMails = 8;

const linkNames: Record<string, StringKey> = {
  '/verify': 'linkVerify',
  '/reset-password': 'linkReset',
  '/confirm-email': 'linkConfirm',
  '/forgot-password': 'linkForgot',
  '/': 'linkHome',
};

function readAddresses(): string[] {
  try {
    return JSON.parse(sessionStorage.getItem(addressesKey) ?? '[]') as string[];
  } catch {
    return [];
  }
}

function hintItem(key: StringKey): HTMLLIElement {
  return Object.assign(document.createElement('li'), { className: 'hint', textContent: text(key) });
}

function mailItem(mail: DevMail): HTMLLIElement {
  const item = document.createElement('li');
  item.className = 'mail';
  const subject = document.createElement('div');
  subject.className = 'subject';
  subject.textContent = mail.subject || text('noSubject');
  const meta = document.createElement('div');
  meta.className = 'meta';
  meta.textContent = text('inboxMeta', { to: mail.to.join(', '), time: new Date(mail.at * 1000).toLocaleTimeString() });
  item.append(subject, meta);
  for (const url of new Set(mail.text.match(/https?:\/\/[^\s<>"]+/g) ?? [])) {
    const link = document.createElement('a');
    link.href = url;
    const name = linkNames[new URL(url).pathname];
    link.textContent = name ? text(name) : url;
    item.append(link);
  }
  return item;
}

export function startDevInbox(viewerUrl: string | undefined): DevInbox {
  if (!viewerUrl) return { use: () => {} };

  const panel = document.querySelector<HTMLDetailsElement>('[data-testid="dev-inbox"]')!;
  const list = document.getElementById('inbox-mails')!;
  const addressLine = document.getElementById('inbox-addresses')!;
  (document.getElementById('mail-viewer') as HTMLAnchorElement).href = viewerUrl;
  panel.open = sessionStorage.getItem(foldedKey) !== '1';
  panel.addEventListener('toggle', () => sessionStorage.setItem(foldedKey, panel.open ? '0' : '1'));
  panel.hidden = false;

  let addresses = readAddresses();
  let shown = '';

  async function poll(): Promise<void> {
    if (addresses.length === 0) {
      list.replaceChildren(hintItem('inboxEmpty'));
      return;
    }
    addressLine.textContent = addresses.join(', ');
    const response = await fetch('/dev/mails', { cache: 'no-store' });
    if (!response.ok) return;
    const { mails } = (await response.json()) as { mails: DevMail[] };
    const mine = mails.filter((mail) => mail.to.some((to) => addresses.includes(to.toLowerCase()))).reverse().slice(0, shownMails);
    // Re-render only on change, so a link does not move under the pointer.
    const fingerprint = JSON.stringify(mine.map((mail) => [mail.at, mail.subject, mail.to]));
    if (fingerprint === shown) return;
    shown = fingerprint;
    list.replaceChildren(...(mine.length === 0 ? [hintItem('inboxNoMail')] : mine.map(mailItem)));
  }

  function tick(): void {
    const next = () => setTimeout(tick, pollMs);
    if (document.visibilityState === 'hidden') {
      next();
      return;
    }
    poll().catch(() => {}).finally(next);
  }
  tick();

  return {
    use(address) {
      const normalized = address.trim().toLowerCase();
      if (!normalized.includes('@') || addresses.includes(normalized)) return;
      addresses = [normalized, ...addresses].slice(0, 4);
      sessionStorage.setItem(addressesKey, JSON.stringify(addresses));
      shown = '';
      poll().catch(() => {});
    },
  };
}
