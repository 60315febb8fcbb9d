import { fork } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { dirname, join, resolve as resolvePath } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateKeyEnvironment } from '../../shared/keygen';
import type { RotationPolicy } from '../keys/rotation';
import { lifecyclePublisher, mailer } from '../../shared/routes';
import { lifecycleStreamFilters } from '../../shared/lifecycle';
import { loadDemoFiles } from './demo';
import { startBreachedPasswordsServer } from './breached-passwords';
import { checkJava, createTable, LOCAL_REGION, startDynamoDbLocal, type DynamoDbLocalCredentials } from './dynamodb-local';
import { LocalStackError } from './errors';
import { createGateway, type TeamRoute } from './gateway';
import { handlerSourceOf, loadHandlers, loadTeamRoutes } from './handlers';
import { startIdentityProvider, type RunningIdentityProvider } from './identity-provider';
import { childExecArgv, moduleExtension } from './module-kind';
import { findFreePort, listenOnLoopback, listenWith } from './loopback';
import { rotateLocalKeys, type LocalRotationStep } from './key-rotation';
import { startMailProcess, type MailProcess } from './mail';
import { localAdminKeyPair, type AdminKeyPair } from './sigv4';
import { startStreamReader, type StreamHandler } from './stream';

/**
 * The local stack: DynamoDB Local, aws-ses-v2-local and the local OpenID provider, each in a
 * process of its own, the local gateway running the real handlers, and the mailer fed from the
 * table's stream. `runLocalStack` runs it in this process
 * (that is `npm start`); `startLocalStack` runs `npm start`'s entry in a child process for test setups and benchmarks,
 * so each stack has its own handler modules, environment and ports.
 */
export const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

export interface LocalStackUrls {
  /** The API and the demo page, e.g. http://localhost:3000 (no trailing slash). */
  apiUrl: string;
  /** The mail viewer; `${mailUrl}/store` lists the mails as JSON. */
  mailUrl: string;
  /** The breached-passwords stand-in: the handlers' BREACHED_PASSWORDS_API_URL. */
  breachedPasswordsUrl: string;
  /** The local OpenID provider (provider `local`): its issuer, e.g. http://127.0.0.1:8010. */
  identityProviderUrl: string;
  ddbEndpoint: string;
  /** The stack's namespace in DynamoDB Local: the table exists only under these (region us-east-1). */
  ddbCredentials: DynamoDbLocalCredentials;
  tableName: string;
  /** The key pair /admin requests are signed with (LOCAL_ADMIN_ACCESS_KEY_ID / LOCAL_ADMIN_SECRET_ACCESS_KEY, or made at start). */
  admin: AdminKeyPair & { region: string };
  /** The JSON lines file the lifecycle events are appended to. */
  lifecycleEventsFile: string;
}

export interface LocalStack extends LocalStackUrls {
  stop(): Promise<void>;
}

/**
 * What a drill may do to a running stack (test/integration/drills.test.ts): take SES away and
 * bring it back on the same port, and run a signing-key rotation step (key-rotation.ts).
 * Pausing DynamoDB Local needs no command: SIGSTOP/SIGCONT to `javaPid`.
 */
export interface LocalStackControls {
  stopMail(): Promise<void>;
  startMail(): Promise<void>;
  rotateKeys(policy: RotationPolicy, rotateNow: boolean): Promise<LocalRotationStep>;
  /** The stream records the local event source gave up on: what AWS would send to the mailer's DLQ. */
  deadLetters(): Promise<string[]>;
}

export interface RunningLocalStack extends LocalStack, LocalStackControls {
  javaPid: number | undefined;
}

export interface LocalStackPorts {
  /** API + demo page. 0 picks a free port. */
  port: number;
  mailPort: number;
  ddbPort: number;
  /** The breached-passwords stand-in (infra/local/breached-passwords.ts). 0 picks a free port. */
  hibpPort: number;
  /** The local OpenID provider (infra/local/identity-provider.ts). 0 picks a free port. */
  idpPort: number;
}

/** Stops what has been started, last first, once, however many times it is asked. */
export class Teardown {
  private readonly steps: Array<() => Promise<void>> = [];
  private running: Promise<void> | undefined;

  add(step: () => Promise<void>): void {
    this.steps.push(step);
  }

  get started(): boolean {
    return this.running !== undefined;
  }

  run(): Promise<void> {
    this.running ??= (async () => {
      for (const step of this.steps.reverse()) await step().catch(() => undefined);
    })();
    return this.running;
  }
}

/**
 * The handlers' environment on the local stack. A variable already set (by the user, or by a
 * test through startLocalStack's `env`) wins over these defaults.
 */
function applyLocalEnvironment(ports: Omit<LocalStackPorts, 'idpPort'>, ddbCredentials: DynamoDbLocalCredentials, identityProviders: string): void {
  // Not defaults: the table lives only in this start's DynamoDB Local namespace (a random key id
  // and this Region, see dynamodb-local.ts), and AWS credentials of the shell never reach an emulator.
  Object.assign(process.env, {
    AWS_REGION: LOCAL_REGION,
    AWS_ACCESS_KEY_ID: ddbCredentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: ddbCredentials.secretAccessKey,
  });
  delete process.env.AWS_SESSION_TOKEN;
  delete process.env.AWS_PROFILE;
  const origins = [`http://localhost:${ports.port}`, `http://127.0.0.1:${ports.port}`];
  const defaults: Record<string, string> = {
    TABLE_NAME: 'serverless-auth-local',
    AWS_ENDPOINT_URL_DYNAMODB: `http://127.0.0.1:${ports.ddbPort}`,
    AWS_ENDPOINT_URL_SES: `http://127.0.0.1:${ports.mailPort}`,
    BREACHED_PASSWORDS_API_URL: `http://127.0.0.1:${ports.hibpPort}`,
    APP_URL: origins[0]!,
    ALLOWED_ORIGINS: origins.join(','),
    MAIL_FROM: 'no-reply@example.com',
    // iss is the API's base URL, where discovery (/.well-known/openid-configuration) lives.
    JWT_ISSUER: origins[0]!,
    // 0 locally so a logout shows at once: no gateway result cache, no authorizer liveness memory.
    AUTHORIZER_CACHE_TTL_SECONDS: '0',
    // Lifecycle events (user.created, ...) as JSON lines, where EventBridge would get them on AWS.
    LIFECYCLE_EVENTS_FILE: join(tmpdir(), `serverless-auth-lifecycle-${process.pid}.jsonl`),
    SESSION_CHECK_CACHE_SECONDS: '0',
    // Provider `local`: the local OpenID provider, with this start's client secret (localIdentityProvider).
    IDENTITY_PROVIDERS: identityProviders,
    // A fresh ES256 key pair and refresh-token key at every start.
    ...generateKeyEnvironment(),
  };
  for (const [name, value] of Object.entries(defaults)) process.env[name] ??= value;
}

/** The local OpenID provider among the identity providers (its id), and the gateway's client id there. */
export const localIdentityProvider = { id: 'local', clientId: 'serverless-auth-local' } as const;

/**
 * The local OpenID provider with one client, the local gateway (a secret made at each start), whose
 * callback it may redirect to on either loopback name the API answers.
 */
function startLocalIdentityProvider(port: number, apiPort: number, clientSecret: string): Promise<RunningIdentityProvider> {
  const callbackPath = `/auth/oauth/${localIdentityProvider.id}/callback`;
  return startIdentityProvider({
    port,
    clients: [
      { clientId: localIdentityProvider.clientId, clientSecret, redirectUris: [`http://localhost:${apiPort}${callbackPath}`, `http://127.0.0.1:${apiPort}${callbackPath}`] },
    ],
  });
}

/**
 * IDENTITY_PROVIDERS for the local functions: provider `local` (preset oidc, addresses trusted as
 * the page says), with the client secret itself, which only the local stack passes this way (on
 * AWS a Secrets Manager id, clientSecretId).
 */
function localIdentityProviders(issuer: string, clientSecret: string): string {
  return JSON.stringify([{ id: localIdentityProvider.id, preset: 'oidc', clientId: localIdentityProvider.clientId, issuer, trustEmail: true, clientSecret }]);
}

/** API Gateway allows 0 (no cache) to 3600 seconds. */
function authorizerCacheTtl(raw: string): number {
  const seconds = Number(raw);
  if (!Number.isInteger(seconds) || seconds < 0 || seconds > 3600) {
    throw new LocalStackError(`AUTHORIZER_CACHE_TTL_SECONDS must be a whole number of seconds from 0 to 3600, got "${raw}"`);
  }
  return seconds;
}

/** Runs the whole stack in this process. On failure everything started so far is stopped again. */
export async function runLocalStack(
  ports: LocalStackPorts,
  options: {
    log?: (line: string) => void;
    /** Called when a part dies on its own after the start (Java crashed, was killed, ...). */
    onUnexpectedExit?: (what: string) => void;
    teardown?: Teardown;
  } = {},
): Promise<RunningLocalStack> {
  const teardown = options.teardown ?? new Teardown();
  try {
    checkJava();

    // Take the API port first, so a busy port fails before Java starts; answer 503 until ready.
    let listener: (req: IncomingMessage, res: ServerResponse) => void = (_req, res) => {
      res.writeHead(503, { 'Content-Type': 'application/json', 'Retry-After': '1' }).end(JSON.stringify({ status: 'starting' }));
    };
    const api = await listenOnLoopback(
      (host, port) => listenWith(createServer((req, res) => listener(req, res)))(host, port),
      ports.port,
      'API (PORT)',
    );
    teardown.add(api.close);

    let mail: MailProcess = await startMailProcess(ports.mailPort);
    const mailPort = mail.port;
    // Stopped on purpose by a drill: its exit is not a crash.
    let mailStopping = false;
    const watchMail = (running: MailProcess) =>
      running.process.once('exit', () => {
        if (!teardown.started && !mailStopping) options.onUnexpectedExit?.('The mail server (aws-ses-v2-local)');
      });
    watchMail(mail);
    teardown.add(() => mail.stop());

    const breachedPasswords = await startBreachedPasswordsServer(ports.hibpPort);
    teardown.add(breachedPasswords.close);

    // The OpenID provider starts while Java does. Each is stopped with the stack whichever of
    // them fails (a teardown step waits for its start to settle).
    const idpClientSecret = randomBytes(32).toString('base64url');
    const idpStarting = startLocalIdentityProvider(ports.idpPort, api.port, idpClientSecret);
    teardown.add(async () => (await idpStarting.catch(() => undefined))?.stop());
    const ddbStarting = startDynamoDbLocal(ports.ddbPort || (await findFreePort()));
    teardown.add(async () => (await ddbStarting.catch(() => undefined))?.stop());
    const [ddb, idp] = await Promise.all([ddbStarting, idpStarting]);
    ddb.process.once('exit', () => {
      if (!teardown.started) options.onUnexpectedExit?.('DynamoDB Local');
    });
    idp.process.once('exit', () => {
      if (!teardown.started) options.onUnexpectedExit?.('The local identity provider');
    });

    applyLocalEnvironment(
      { port: api.port, mailPort, ddbPort: Number(new URL(ddb.endpoint).port), hibpPort: breachedPasswords.port },
      ddb.credentials,
      localIdentityProviders(idp.issuer, idpClientSecret),
    );
    const tableName = process.env.TABLE_NAME!;
    await createTable(process.env.AWS_ENDPOINT_URL_DYNAMODB!, ddb.credentials, tableName);

    const mailUrl = `http://localhost:${mailPort}`;
    // From the construct package (compiled), the functions it ships; from the sources, LOCAL_HANDLERS decides.
    const handlerSource = handlerSourceOf(process.env.LOCAL_HANDLERS || (moduleExtension === '.js' ? 'prebuilt' : undefined));
    let bundleDir: string | undefined;
    if (handlerSource === 'bundles') {
      const dir = mkdtempSync(join(tmpdir(), 'serverless-auth-bundles-'));
      bundleDir = dir;
      teardown.add(async () => rmSync(dir, { recursive: true, force: true }));
    }
    const [handlers, staticFiles, teamRoutes] = await Promise.all([
      loadHandlers(repoRoot, handlerSource, bundleDir),
      loadDemoFiles(repoRoot, mailUrl),
      loadTeamRoutes(process.env.LOCAL_TEAM_ROUTES),
    ]);
    // The mailer, fed from the table's stream as the event source feeds it on AWS.
    const streamReader = await startStreamReader({
      endpoint: process.env.AWS_ENDPOINT_URL_DYNAMODB!,
      credentials: ddb.credentials,
      tableName,
      handler: handlers[mailer.functionName] as unknown as StreamHandler,
      log: options.log,
    });
    teardown.add(streamReader.stop);
    // The lifecycle publisher on its own reader, as its own event source on AWS; it appends to LIFECYCLE_EVENTS_FILE.
    const lifecycleReader = await startStreamReader({
      endpoint: process.env.AWS_ENDPOINT_URL_DYNAMODB!,
      credentials: ddb.credentials,
      tableName,
      handler: handlers[lifecyclePublisher.functionName] as unknown as StreamHandler,
      filters: lifecycleStreamFilters,
      log: options.log,
    });
    teardown.add(lifecycleReader.stop);
    const admin = { ...localAdminKeyPair(), region: process.env.AWS_REGION! };
    listener = createGateway({
      adminKeys: admin,
      adminRegion: admin.region,
      handlers,
      teamRoutes,
      handlerSource,
      staticFiles,
      allowedOrigins: process.env.ALLOWED_ORIGINS!.split(',').map((o) => o.trim()).filter(Boolean),
      authorizerCacheTtlSeconds: authorizerCacheTtl(process.env.AUTHORIZER_CACHE_TTL_SECONDS!),
      log: options.log,
    });

    return {
      apiUrl: `http://localhost:${api.port}`,
      mailUrl,
      breachedPasswordsUrl: process.env.BREACHED_PASSWORDS_API_URL!,
      identityProviderUrl: idp.issuer,
      ddbEndpoint: ddb.endpoint,
      ddbCredentials: ddb.credentials,
      tableName,
      admin,
      lifecycleEventsFile: process.env.LIFECYCLE_EVENTS_FILE!,
      javaPid: ddb.process.pid,
      stop: () => teardown.run(),
      stopMail: async () => {
        mailStopping = true;
        await mail.stop();
      },
      startMail: async () => {
        if (mail.process.exitCode === null && mail.process.signalCode === null) return;
        mail = await startMailProcess(mailPort);
        mailStopping = false;
        watchMail(mail);
      },
      deadLetters: async () => streamReader.deadLetters(),
      rotateKeys: async (policy, rotateNow) => {
        if (handlerSource !== 'sources') throw new LocalStackError('key rotation reaches the TypeScript sources only (LOCAL_HANDLERS=sources)');
        return rotateLocalKeys(policy, rotateNow);
      },
    };
  } catch (error) {
    await teardown.run();
    throw error;
  }
}

export interface StartLocalStackOptions {
  /** 0 (the default here) picks a free port. */
  port?: number;
  mailPort?: number;
  ddbPort?: number;
  hibpPort?: number;
  idpPort?: number;
  /** Settings for the handlers and the gateway (e.g. ARGON2_MEMORY_KIB, REFRESH_GRACE_SECONDS, key material). */
  env?: Partial<Record<string, string>>;
  /** Discard the stack's own output (request lines, handler logs). Errors still surface. */
  quiet?: boolean;
  /** Run the esbuild bundles the stack deploys instead of the TypeScript sources (LOCAL_HANDLERS). */
  handlers?: 'sources' | 'bundles';
  /**
   * The team's own routes, behind the real authorizer as addProtectedRoute puts them on AWS:
   * `handler` is the path of a module exporting `handler` (relative to the current directory).
   */
  routes?: ReadonlyArray<{ method: TeamRoute['method']; path: string; handler: string }>;
}

/** What the child reports once it is ready (see start.ts). */
export interface ReadyMessage extends LocalStackUrls {
  type: 'ready';
  javaPid: number | undefined;
}

/** A drill's command to the child over IPC, and the child's answer (see start.ts). */
export type ControlCommand =
  | { type: 'control'; id: number; action: 'stopMail' | 'startMail' | 'deadLetters' }
  | { type: 'control'; id: number; action: 'rotateKeys'; policy: RotationPolicy; rotateNow: boolean };
export type ControlReply = { type: 'control-reply'; id: number; result?: unknown; error?: string };

/** A stack started by startLocalStack, with the drills' controls (LocalStackControls). */
export interface ChildLocalStack extends LocalStack, LocalStackControls {
  /** DynamoDB Local's Java process: SIGSTOP pauses the database, SIGCONT resumes it. */
  javaPid: number | undefined;
}

const START_TIMEOUT_MS = 120_000;
const STOP_TIMEOUT_MS = 15_000;

/** Starts infra/local/start.ts in a child process and resolves once it reports ready. */
export async function startLocalStack(options: StartLocalStackOptions = {}): Promise<ChildLocalStack> {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const [name, value] of Object.entries(options.env ?? {})) if (value !== undefined) env[name] = value;
  Object.assign(env, {
    PORT: String(options.port ?? 0),
    MAIL_PORT: String(options.mailPort ?? 0),
    HIBP_PORT: String(options.hibpPort ?? 0),
    DDB_PORT: String(options.ddbPort ?? 0),
    IDP_PORT: String(options.idpPort ?? 0),
    LOCAL_STACK_QUIET: options.quiet ? '1' : '',
    ...(options.handlers ? { LOCAL_HANDLERS: options.handlers } : {}),
    ...(options.routes?.length ? { LOCAL_TEAM_ROUTES: JSON.stringify(options.routes.map((route) => ({ ...route, handler: resolvePath(route.handler) }))) } : {}),
  });

  const child = fork(join(repoRoot, 'infra', 'local', `start${moduleExtension}`), [], {
    cwd: repoRoot,
    // Resolved from cwd: the repo's own tsx loads the TypeScript handlers, as under `npm start` (the package's bundles need none).
    execArgv: childExecArgv,
    env,
    stdio: options.quiet ? ['ignore', 'ignore', 'pipe', 'ipc'] : ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  let stderrTail = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderrTail = (stderrTail + chunk.toString()).slice(-4000);
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));

  const ready = await new Promise<ReadyMessage>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGTERM');
      reject(new Error(`The local stack did not become ready within ${START_TIMEOUT_MS / 1000} s\n${stderrTail}`));
    }, START_TIMEOUT_MS);
    child.on('message', (message: ReadyMessage) => {
      if (message?.type !== 'ready') return;
      clearTimeout(timer);
      resolve(message);
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`The local stack exited during start (${signal ?? `code ${code}`})\n${stderrTail.trim()}`));
    });
  });

  let nextCommandId = 0;
  const pending = new Map<number, { resolve: (result: unknown) => void; reject: (error: Error) => void }>();
  child.on('message', (message: ControlReply) => {
    if (message?.type !== 'control-reply') return;
    const waiting = pending.get(message.id);
    pending.delete(message.id);
    if (message.error !== undefined) waiting?.reject(new Error(message.error));
    else waiting?.resolve(message.result);
  });
  const control = <T>(command: ControlCommand extends infer C ? (C extends ControlCommand ? Omit<C, 'type' | 'id'> : never) : never): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      const id = ++nextCommandId;
      pending.set(id, { resolve: resolve as (result: unknown) => void, reject });
      child.send({ ...command, type: 'control', id });
    });

  return {
    apiUrl: ready.apiUrl,
    mailUrl: ready.mailUrl,
    breachedPasswordsUrl: ready.breachedPasswordsUrl,
    identityProviderUrl: ready.identityProviderUrl,
    ddbEndpoint: ready.ddbEndpoint,
    ddbCredentials: ready.ddbCredentials,
    tableName: ready.tableName,
    admin: ready.admin,
    lifecycleEventsFile: ready.lifecycleEventsFile,
    javaPid: ready.javaPid,
    stopMail: () => control({ action: 'stopMail' }),
    startMail: () => control({ action: 'startMail' }),
    deadLetters: () => control({ action: 'deadLetters' }),
    rotateKeys: (policy, rotateNow) => control({ action: 'rotateKeys', policy, rotateNow }),
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      const killTimer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
      const exitCode = await exited;
      clearTimeout(killTimer);
      // A clean exit stopped Java; after a crash or SIGKILL, do not leave Java behind.
      if (exitCode !== 0 && ready.javaPid !== undefined) {
        try {
          process.kill(ready.javaPid, 'SIGKILL');
        } catch {
          // Already gone: the normal case.
        }
      }
    },
  };
}
