import { createHash, randomBytes, randomInt } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { refuseForeignHost } from './host-guard';
import { listenOnLoopback, listenWith, type LoopbackListener } from './loopback';

/**
 * A stand-in for Have I Been Pwned's Pwned Passwords range API (`GET /range/{5 hex digits}`), so
 * the local stack and the tests check new passwords the way the deployed service does, without
 * the network: the same k-anonymity request, the same `SUFFIX:COUNT` lines, padded with `:0`
 * lines when asked (`Add-Padding: true`) as the real API pads. It knows only the passwords
 * below, all of them in the real corpus and none of them on the common-password list, so each
 * one is refused for the breach alone. Loopback only, and only for the loopback Host names.
 */
export const KNOWN_BREACHED_PASSWORDS = ['correcthorsebatterystaple', 'Tr0ub4dor&3', 'ihatemyjob2012', 'letmeinpleaseokay'];

const PADDED_LINES = { min: 800, max: 1000 };

function suffixesByPrefix(passwords: readonly string[]): Map<string, Map<string, number>> {
  const byPrefix = new Map<string, Map<string, number>>();
  passwords.forEach((password, index) => {
    const digest = createHash('sha1').update(password, 'utf8').digest('hex').toUpperCase();
    const suffixes = byPrefix.get(digest.slice(0, 5)) ?? new Map<string, number>();
    suffixes.set(digest.slice(5), 1000 + index);
    byPrefix.set(digest.slice(0, 5), suffixes);
  });
  return byPrefix;
}

export function breachedPasswordsHandler(passwords: readonly string[] = KNOWN_BREACHED_PASSWORDS) {
  const known = suffixesByPrefix(passwords);
  return (req: IncomingMessage, res: ServerResponse): void => {
    if (refuseForeignHost(req, res)) return;
    const match = /^\/range\/([0-9A-Fa-f]{5})$/.exec(req.url ?? '');
    if (req.method !== 'GET' || !match) {
      res.writeHead(404, { 'Content-Type': 'text/plain' }).end('Not found');
      return;
    }
    const lines = [...(known.get(match[1]!.toUpperCase()) ?? new Map<string, number>())].map(([suffix, count]) => `${suffix}:${count}`);
    if (req.headers['add-padding'] === 'true') {
      const total = randomInt(PADDED_LINES.min, PADDED_LINES.max + 1);
      while (lines.length < total) lines.push(`${randomBytes(18).toString('hex').slice(0, 35).toUpperCase()}:0`);
      lines.sort();
    }
    res.writeHead(200, { 'Content-Type': 'text/plain', 'Cache-Control': 'no-store' }).end(lines.join('\r\n'));
  };
}

export function startBreachedPasswordsServer(port: number): Promise<LoopbackListener> {
  const handler = breachedPasswordsHandler();
  return listenOnLoopback((host, listenPort) => listenWith(createServer(handler))(host, listenPort), port, 'Breached-passwords stand-in (HIBP_PORT)');
}
