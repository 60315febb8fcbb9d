import type { LocalStack } from '../infra/local/stack';
import { newVerifiedAccount, PASSWORD, refreshCookieOf, type Session } from './local-stack';
import { quantile } from './stats';

/**
 * A bounded load run against a local stack (docs/performance.md, "Load run"): `concurrency`
 * virtual users, each with an account of its own, loop for `seconds`: refresh their session (the
 * rotated cookie kept, as a browser keeps it), call a protected route with the new access token,
 * and sign in again every LOGIN_EVERY rounds (then go on with the new session). Written with
 * Node's fetch rather than a load generator: every user must carry its own rotating cookie, a
 * refused session must be told apart from a slow one, and the percentiles are wanted per route.
 *
 * A session is lost when the user's current session is refused (401) by refresh or by the
 * protected call, or does not refresh at the end of the run.
 */
export type LoadRoute = 'POST /auth/login' | 'POST /auth/refresh' | 'GET /me';
const ROUTES: LoadRoute[] = ['POST /auth/login', 'POST /auth/refresh', 'GET /me'];
const LOGIN_EVERY = 10;
const SIGNUPS_AT_ONCE = 10;

export interface LoadOptions {
  concurrency: number;
  seconds: number;
}

export interface RouteFigures {
  requests: number;
  p50Ms: number;
  p99Ms: number;
  /** Replies by status code. */
  statuses: Record<string, number>;
}

export interface LoadReport {
  concurrency: number;
  seconds: number;
  requests: number;
  routes: Record<LoadRoute, RouteFigures>;
  serverErrors: number;
  lostSessions: number;
  /** Every reply that was not 2xx and every failed request, with its route: at most 20 kept. */
  errors: string[];
  errorCount: number;
}

type Stack = Pick<LocalStack, 'apiUrl' | 'mailUrl'>;

class Recorder {
  readonly latencies = new Map<LoadRoute, number[]>(ROUTES.map((r) => [r, []]));
  readonly statuses = new Map<LoadRoute, Record<string, number>>(ROUTES.map((r) => [r, {}]));
  readonly errors: string[] = [];
  errorCount = 0;
  lostSessions = 0;

  async call(route: LoadRoute, send: () => Promise<Response>): Promise<Response | undefined> {
    const started = performance.now();
    let response: Response;
    try {
      response = await send();
    } catch (error) {
      this.error(`${route}: ${error instanceof Error ? error.message : String(error)}`);
      return undefined;
    }
    this.latencies.get(route)!.push(performance.now() - started);
    const statuses = this.statuses.get(route)!;
    statuses[response.status] = (statuses[response.status] ?? 0) + 1;
    // A refused reply is read here, whole: its caller looks only at the status.
    if (!response.ok) this.error(`${route}: ${response.status} ${(await response.text()).slice(0, 200)}`);
    return response;
  }

  error(line: string): void {
    this.errorCount++;
    if (this.errors.length < 20) this.errors.push(line);
  }
}

async function accessTokenOf(response: Response): Promise<string> {
  return ((await response.json()) as { accessToken: string }).accessToken;
}

/** One virtual user: returns its last session, or undefined once it has lost it. */
async function virtualUser(stack: Stack, account: { email: string; session: Session }, until: number, recorder: Recorder): Promise<Session | undefined> {
  let session = account.session;
  for (let round = 1; Date.now() < until; round++) {
    if (round % LOGIN_EVERY === 0) {
      const response = await recorder.call('POST /auth/login', () =>
        fetch(`${stack.apiUrl}/auth/login`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ email: account.email, password: PASSWORD }) }),
      );
      if (response?.ok) session = { accessToken: await accessTokenOf(response), refreshToken: refreshCookieOf(response) };
    }
    const refreshed = await recorder.call('POST /auth/refresh', () =>
      fetch(`${stack.apiUrl}/auth/refresh`, { method: 'POST', headers: { Cookie: `refresh_token=${session.refreshToken}` } }),
    );
    if (refreshed?.status === 401) return undefined;
    if (refreshed?.ok) session = { accessToken: await accessTokenOf(refreshed), refreshToken: refreshCookieOf(refreshed) };
    const me = await recorder.call('GET /me', () => fetch(`${stack.apiUrl}/me`, { headers: { Authorization: `Bearer ${session.accessToken}` } }));
    if (me?.status === 401) return undefined;
    await me?.arrayBuffer();
  }
  return session;
}

/** Signs up `count` accounts through the stack (mail included), a few at a time. */
async function accounts(stack: Stack, count: number): Promise<Array<{ email: string; session: Session }>> {
  const made: Array<{ email: string; session: Session }> = [];
  while (made.length < count) {
    const batch = Math.min(SIGNUPS_AT_ONCE, count - made.length);
    made.push(...(await Promise.all(Array.from({ length: batch }, () => newVerifiedAccount(stack, 'load')))));
  }
  return made;
}

export async function runLoad(stack: Stack, options: LoadOptions, progress: (line: string) => void = () => undefined): Promise<LoadReport> {
  progress(`signing up ${options.concurrency} accounts`);
  const users = await accounts(stack, options.concurrency);
  const recorder = new Recorder();
  progress(`${options.concurrency} users for ${options.seconds} s`);
  const until = Date.now() + options.seconds * 1000;
  const finalSessions = await Promise.all(users.map((user) => virtualUser(stack, user, until, recorder)));

  // Every user's last session must still be good after the run.
  await Promise.all(
    finalSessions.map(async (session) => {
      if (!session) return void recorder.lostSessions++;
      const response = await fetch(`${stack.apiUrl}/auth/refresh`, { method: 'POST', headers: { Cookie: `refresh_token=${session.refreshToken}` } });
      await response.arrayBuffer();
      if (response.status !== 200) recorder.lostSessions++;
    }),
  );

  const routes = Object.fromEntries(
    ROUTES.map((route) => {
      const samples = recorder.latencies.get(route)!;
      const figures: RouteFigures = {
        requests: samples.length,
        p50Ms: samples.length ? quantile(samples, 0.5) : 0,
        p99Ms: samples.length ? quantile(samples, 0.99) : 0,
        statuses: recorder.statuses.get(route)!,
      };
      return [route, figures];
    }),
  ) as Record<LoadRoute, RouteFigures>;
  const statusCounts = ROUTES.flatMap((route) => Object.entries(routes[route].statuses));
  return {
    concurrency: options.concurrency,
    seconds: options.seconds,
    requests: ROUTES.reduce((sum, route) => sum + routes[route].requests, 0),
    routes,
    serverErrors: statusCounts.filter(([status]) => status.startsWith('5')).reduce((sum, [, count]) => sum + count, 0),
    lostSessions: recorder.lostSessions,
    errors: recorder.errors,
    errorCount: recorder.errorCount,
  };
}

export function formatLoadReport(report: LoadReport): string {
  const lines = [
    `load run: ${report.concurrency} users for ${report.seconds} s, ${report.requests} requests (${(report.requests / report.seconds).toFixed(0)}/s)`,
    'route              | requests | p50 ms | p99 ms | replies',
    '-------------------|----------|--------|--------|--------',
    ...ROUTES.map((route) => {
      const r = report.routes[route];
      const replies = Object.entries(r.statuses).map(([status, count]) => `${status}×${count}`).join(' ');
      return `${route.padEnd(18)} | ${String(r.requests).padStart(8)} | ${r.p50Ms.toFixed(1).padStart(6)} | ${r.p99Ms.toFixed(1).padStart(6)} | ${replies}`;
    }),
    `5xx: ${report.serverErrors}; sessions lost: ${report.lostSessions}; errors: ${report.errorCount}`,
    ...report.errors.map((line) => `  ${line}`),
  ];
  return lines.join('\n');
}
