import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { PROBLEM_CONTENT_TYPE, problemBody } from '../../shared/errors';

/**
 * The local servers listen on loopback only, but a web page can still reach them through DNS
 * rebinding: evil.example first resolves to the attacker, then to 127.0.0.1, and the page's
 * same-origin requests land here with `Host: evil.example`. Answering only the loopback names
 * stops that: the browser always sends the name it resolved.
 */
const loopbackNames = new Set(['localhost', '127.0.0.1', '[::1]']);

/** `localhost`, `127.0.0.1` or `[::1]`, with any port (or none). */
export function isLoopbackHost(host: string | undefined): boolean {
  const match = /^(\[[0-9a-f:.]+\]|[^:[\]]+)(?::\d{1,5})?$/i.exec(host ?? '');
  return match !== null && loopbackNames.has(match[1]!.toLowerCase());
}

/** 421 Misdirected Request, problem+json: the reply to a request for any other host. */
export function misdirectedReply() {
  return {
    status: 421,
    headers: { 'Content-Type': PROBLEM_CONTENT_TYPE, 'Cache-Control': 'no-store' },
    body: JSON.stringify(problemBody('misdirected_request')),
  };
}

/** Answers a request for any other host with misdirectedReply(); true when it did. */
export function refuseForeignHost(req: IncomingMessage, res: ServerResponse): boolean {
  if (isLoopbackHost(req.headers.host)) return false;
  const reply = misdirectedReply();
  res.writeHead(reply.status, reply.headers).end(reply.body);
  return true;
}

/** Puts the Host check in front of a server whose request listeners someone else attached (aws-ses-v2-local). */
export function guardHost(server: Server): Server {
  const listeners = server.listeners('request') as Array<(req: IncomingMessage, res: ServerResponse) => void>;
  server.removeAllListeners('request');
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    if (refuseForeignHost(req, res)) return;
    for (const listener of listeners) listener.call(server, req, res);
  });
  return server;
}
