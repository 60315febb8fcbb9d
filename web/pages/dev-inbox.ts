/**
 * The dev inbox: on the local stack only (the page gets the mail viewer's URL there), the mails
 * the local SES emulator received for the addresses used on this page, with their links opening
 * in this tab. The local gateway relays the emulator's store at /dev/mails (same origin: the
 * emulator sends no CORS headers).
 */

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

const addressesKey = 'serverless-auth-demo:inbox-addresses';
const pollMs = 1500;
const shownMails = 8;

const linkNames: Record<string, string> = {
  '/verify': 'Finish signing up',
  '/reset-password': 'Choose a new password',
  '/confirm-email': 'Confirm the new address',
  '/forgot-password': 'Forgot-password page',
  '/': 'Log-in page',
};

function readAddresses(): string[] {
  try {
    return JSON.parse(sessionStorage.getItem(addressesKey) ?? '[]') as string[];
  } catch {
    return [];
  }
}

function mailItem(mail: DevMail): HTMLLIElement {
  const item = document.createElement('li');
  item.className = 'mail';
  const subject = document.createElement('div');
  subject.className = 'subject';
  subject.textContent = mail.subject || '(no subject)';
  const meta = document.createElement('div');
  meta.className = 'meta';
  meta.textContent = `to ${mail.to.join(', ')} · ${new Date(mail.at * 1000).toLocaleTimeString()}`;
  item.append(subject, meta);
  for (const url of new Set(mail.text.match(/https?:\/\/[^\s<>"]+/g) ?? [])) {
    const link = document.createElement('a');
    link.href = url;
    link.textContent = linkNames[new URL(url).pathname] ?? url;
    item.append(link);
  }
  return item;
}

export function startDevInbox(): DevInbox {
  const viewerUrl = document.querySelector<HTMLMetaElement>('meta[name="mail-viewer-url"]')?.content;
  if (!viewerUrl) return { use: () => {} };

  const panel = document.querySelector<HTMLElement>('[data-testid="dev-inbox"]')!;
  const list = document.getElementById('inbox-mails')!;
  const addressLine = document.getElementById('inbox-addresses')!;
  (document.getElementById('mail-viewer') as HTMLAnchorElement).href = viewerUrl;
  panel.hidden = false;

  let addresses = readAddresses();
  let shown = '';

  async function poll(): Promise<void> {
    if (addresses.length === 0) {
      list.replaceChildren(Object.assign(document.createElement('li'), { className: 'hint', textContent: 'Mails show up here once you use an address.' }));
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
    if (mine.length === 0) {
      list.replaceChildren(Object.assign(document.createElement('li'), { className: 'hint', textContent: 'No mail yet.' }));
      return;
    }
    list.replaceChildren(...mine.map(mailItem));
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
