import { parseArgs } from 'node:util';
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { defaultProvider } from '@aws-sdk/credential-provider-node';
import { signedFetch } from './admin-client';

/**
 * `npm run admin -- <command>`: the admin API from a terminal, signed with the default AWS
 * credential chain (environment, profile, SSO, ...; locally the key pair `npm start` prints).
 * The API URL comes from --api, or from the ApiUrl output of the stack (--stack, default
 * ServerlessAuth-dev). Tables by default, --json for scripts.
 */
const USAGE = `usage: npm run admin -- [--api URL | --stack NAME] [--region R] [--json] <command>
  users list [--email-prefix P] [--limit N] [--cursor C]
  users get <id>
  users invite <email> [--roles a,b]
  users disable <id> | users enable <id>
  users roles <id> <role,role|-> [--revoke-sessions]
  users revoke <id>            (every session)
  users reset-mfa <id>
  users delete <id>
  users events <id> [--limit N] [--cursor C]`;

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    api: { type: 'string' },
    stack: { type: 'string', default: 'ServerlessAuth-dev' },
    region: { type: 'string' },
    json: { type: 'boolean', default: false },
    'email-prefix': { type: 'string' },
    limit: { type: 'string' },
    cursor: { type: 'string' },
    roles: { type: 'string' },
    'revoke-sessions': { type: 'boolean', default: false },
    help: { type: 'boolean', default: false },
  },
});

function fail(message: string): never {
  console.error(message);
  process.exit(2);
}

const region = values.region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? fail('Set AWS_REGION or pass --region.');

async function apiUrl(): Promise<string> {
  if (values.api) return values.api;
  const { Stacks } = await new CloudFormationClient({ region }).send(new DescribeStacksCommand({ StackName: values.stack }));
  const url = Stacks?.[0]?.Outputs?.find((output) => output.OutputKey === 'ApiUrl')?.OutputValue;
  return url ?? fail(`Stack ${values.stack} has no ApiUrl output; pass --api.`);
}

type Request = { method: string; path: string; query?: Record<string, string>; body?: unknown };

/** The request for a command line, or a usage error. */
function requestOf(args: string[]): Request {
  const [group, command, id, extra] = args;
  if (group !== 'users' || !command) fail(USAGE);
  const need = (value: string | undefined, what: string) => value ?? fail(`${what} is missing.\n${USAGE}`);
  const user = () => `/admin/users/${encodeURIComponent(need(id, 'The user id'))}`;
  const page = () => ({ ...(values.limit ? { limit: values.limit } : {}), ...(values.cursor ? { cursor: values.cursor } : {}) });
  const roleList = (raw: string | undefined) => (raw === undefined || raw === '-' || raw === '' ? [] : raw.split(',').map((r) => r.trim()));
  switch (command) {
    case 'list': return { method: 'GET', path: '/admin/users', query: { ...page(), ...(values['email-prefix'] ? { emailPrefix: values['email-prefix'] } : {}) } };
    case 'get': return { method: 'GET', path: user() };
    case 'invite': return { method: 'POST', path: '/admin/users', body: { email: need(id, 'The email'), roles: roleList(values.roles) } };
    case 'disable': return { method: 'POST', path: `${user()}/disable` };
    case 'enable': return { method: 'POST', path: `${user()}/enable` };
    case 'roles': return { method: 'PUT', path: `${user()}/roles`, body: { roles: roleList(need(extra, 'The roles (comma-separated, or - for none)')), revokeSessions: values['revoke-sessions'] } };
    case 'revoke': return { method: 'DELETE', path: `${user()}/sessions` };
    case 'reset-mfa': return { method: 'DELETE', path: `${user()}/mfa` };
    case 'delete': return { method: 'DELETE', path: user() };
    case 'events': return { method: 'GET', path: `${user()}/events`, query: page() };
    default: return fail(USAGE);
  }
}

/** Rows as an aligned text table. */
function table(rows: Array<Record<string, unknown>>): string {
  if (!rows.length) return '(none)';
  const columns = [...new Set(rows.flatMap((row) => Object.keys(row)))];
  const cell = (value: unknown) => (value === undefined ? '' : Array.isArray(value) ? value.join(',') : String(value));
  const widths = columns.map((c) => Math.max(c.length, ...rows.map((row) => cell(row[c]).length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd();
  return [line(columns), line(widths.map((w) => '-'.repeat(w))), ...rows.map((row) => line(columns.map((c) => cell(row[c]))))].join('\n');
}

function print(body: Record<string, unknown>): void {
  const list = (body.users ?? body.events ?? body.sessions) as Array<Record<string, unknown>> | undefined;
  if (list) {
    console.log(table(list));
    if (body.nextCursor) console.log(`\nmore: --cursor ${body.nextCursor as string}`);
    return;
  }
  if (body.user) {
    const { user, sessions, ...rest } = body as { user: Record<string, unknown>; sessions: Array<Record<string, unknown>> };
    console.log(table([{ ...user, ...rest }]));
    console.log(`\nsessions:\n${table(sessions)}`);
    return;
  }
  console.log(table([body]));
}

if (values.help || positionals.length === 0) {
  console.log(USAGE);
} else {
  const request = requestOf(positionals);
  const credentials = await defaultProvider()();
  const response = await signedFetch(await apiUrl(), request, credentials, region);
  const text = await response.text();
  const body = text ? (JSON.parse(text) as Record<string, unknown>) : undefined;
  if (values.json) console.log(JSON.stringify(body ?? { status: response.status }, null, 2));
  else if (!response.ok) console.error(`${response.status} ${String(body?.code ?? '')}: ${String(body?.title ?? text)}`);
  else if (body) print(body);
  else console.log(`done (${response.status})`);
  if (!response.ok) process.exitCode = 1;
}
