import { isIP } from 'node:net';
import type { Config } from '../config';
import { logger, recordSecurityEvent } from '../observability';
import type { StoredIntent } from '../outbox';
import type { IntentStore } from '../stores';

/**
 * The silent limits on mails that anyone can ask for (sign-up, reset) or that go to an address
 * the requester typed (email change). Each is a fixed one-hour window; a mail beyond any of them
 * is not sent and nobody is told, so the HTTP reply never changes:
 * - per mailbox and kind: `alice+1@`, `alice+2@` and (at Gmail) `a.lice@` are one mailbox,
 * - per source network (IPv4 address, IPv6 /64) for sign-up and reset, across both kinds,
 * - a global cap on all of them, which counts and logs `MailGlobalCapReached` (alarmed on AWS).
 * Notices (password changed, two-factor on, ...) are never limited: they report a change the
 * owner must hear about.
 */
const HOUR_SECONDS = 3600;

/** Providers that deliver `a.b@` to `ab@`; googlemail.com is the same mailboxes as gmail.com. */
const DOT_BLIND_DOMAINS = new Map([
  ['gmail.com', 'gmail.com'],
  ['googlemail.com', 'gmail.com'],
]);

/**
 * The mailbox an address delivers to, as far as the limits are concerned (the address itself is
 * what is mailed and stored): a `+tag` is dropped at every provider (most deliver it to the same
 * mailbox, and one that does not only shares a limit), dots are dropped where the provider
 * ignores them. Addresses arrive trimmed and lower-cased.
 */
export function mailboxOf(email: string): string {
  const at = email.lastIndexOf('@');
  if (at <= 0) return email;
  let local = email.slice(0, at);
  let domain = email.slice(at + 1);
  const plus = local.indexOf('+');
  if (plus > 0) local = local.slice(0, plus);
  const dotBlind = DOT_BLIND_DOMAINS.get(domain);
  if (dotBlind) {
    local = local.replaceAll('.', '') || local;
    domain = dotBlind;
  }
  return `${local}@${domain}`;
}

/**
 * Where a request came from, as one client: an IPv4 address, or the /64 of an IPv6 address (one
 * customer's network gets a whole /64, so single IPv6 addresses would be free to vary). An
 * IPv4-mapped IPv6 address is its IPv4 address.
 */
export function sourceNetworkOf(ip: string | undefined): string | undefined {
  if (!ip) return undefined;
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  if (mapped) return mapped[1];
  if (isIP(ip) === 4) return ip;
  if (isIP(ip) !== 6) return undefined;
  const [head = '', tail] = ip.toLowerCase().split('::');
  const headGroups = head ? head.split(':') : [];
  const tailGroups = tail ? tail.split(':') : [];
  const groups = tail === undefined ? headGroups : [...headGroups, ...Array<string>(8 - headGroups.length - tailGroups.length).fill('0'), ...tailGroups];
  return `${groups.slice(0, 4).map((group) => Number.parseInt(group, 16).toString(16)).join(':')}::/64`;
}

export interface MailLimitContext {
  intents: IntentStore;
  config: Pick<Config, 'MAIL_PER_SOURCE_PER_HOUR' | 'MAIL_GLOBAL_PER_HOUR'>;
  now: () => number;
}

/**
 * Claims this intent's place under every limit that applies, in order (mailbox, source,
 * global); false, logged, at the first one that is full. A redelivered intent is not counted
 * twice under the mailbox and source limits.
 */
export async function withinMailLimits(ctx: MailLimitContext, intent: StoredIntent, kind: string, perMailbox: number): Promise<boolean> {
  const now = ctx.now();
  if (!(await ctx.intents.claimInWindow(`${kind}#${mailboxOf(intent.email)}`, intent.id, HOUR_SECONDS, perMailbox, now))) {
    logger.info('mail suppressed by the per-mailbox limit', { intentId: intent.id, kind: intent.kind });
    return false;
  }
  const source = 'sourceIp' in intent ? sourceNetworkOf(intent.sourceIp) : undefined;
  if (source && !(await ctx.intents.claimInWindow(`source#${source}`, intent.id, HOUR_SECONDS, ctx.config.MAIL_PER_SOURCE_PER_HOUR, now))) {
    logger.info('mail suppressed by the per-source limit', { intentId: intent.id, kind: intent.kind });
    return false;
  }
  if (!(await ctx.intents.countInCappedWindow('global', HOUR_SECONDS, ctx.config.MAIL_GLOBAL_PER_HOUR, now))) {
    recordSecurityEvent('MailGlobalCapReached', { intentId: intent.id, kind: intent.kind });
    return false;
  }
  return true;
}
