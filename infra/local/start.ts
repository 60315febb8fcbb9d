import { LocalStackError } from './errors';
import { runLocalStack, Teardown, type ControlCommand, type ControlReply, type ReadyMessage } from './stack';

/**
 * `npm start`: the whole service on this machine (docs/local.md). Ports from PORT (3000),
 * MAIL_PORT (8005), DDB_PORT (8000), HIBP_PORT (8015) and IDP_PORT (8010); Ctrl-C stops everything, Java included.
 * Started by startLocalStack() with an IPC channel, it reports its URLs there instead.
 */
function portFromEnv(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) throw new LocalStackError(`${name} must be a port number (0-65535), got "${raw}"`);
  return port;
}

const quiet = process.env.LOCAL_STACK_QUIET === '1';
const teardown = new Teardown();

async function shutdown(exitCode: number): Promise<never> {
  await teardown.run();
  process.exit(exitCode);
}

// Signals during start-up too: whatever is already running is stopped.
process.once('SIGINT', () => void shutdown(0));
process.once('SIGTERM', () => void shutdown(0));
// Started by startLocalStack(): when the parent goes away, so does the stack.
process.once('disconnect', () => void shutdown(0));
// Whatever started us died without passing a signal on (a killed tsx or shell): stop too, freeing the ports.
const parentPid = process.ppid;
setInterval(() => {
  if (process.ppid !== parentPid) void shutdown(0);
}, 1_000).unref();

try {
  const stack = await runLocalStack(
    { port: portFromEnv('PORT', 3000), mailPort: portFromEnv('MAIL_PORT', 8005), ddbPort: portFromEnv('DDB_PORT', 8000), hibpPort: portFromEnv('HIBP_PORT', 8015), idpPort: portFromEnv('IDP_PORT', 8010) },
    {
      teardown,
      log: quiet ? undefined : (line) => console.log(line),
      onUnexpectedExit: (what) => {
        console.error(`${what} exited unexpectedly; stopping the local stack.`);
        void shutdown(1);
      },
    },
  );

  if (process.send) {
    // A drill's commands (stack.ts: ControlCommand), answered one by one.
    process.on('message', (command: ControlCommand) => {
      if (command?.type !== 'control') return;
      const run = command.action === 'rotateKeys' ? stack.rotateKeys(command.policy, command.rotateNow) : stack[command.action]();
      void run.then(
        (result) => process.send?.({ type: 'control-reply', id: command.id, result } satisfies ControlReply),
        (error: unknown) => process.send?.({ type: 'control-reply', id: command.id, error: error instanceof Error ? error.message : String(error) } satisfies ControlReply),
      );
    });
    const ready: ReadyMessage = {
      type: 'ready',
      apiUrl: stack.apiUrl,
      mailUrl: stack.mailUrl,
      breachedPasswordsUrl: stack.breachedPasswordsUrl,
      identityProviderUrl: stack.identityProviderUrl,
      ddbEndpoint: stack.ddbEndpoint,
      ddbCredentials: stack.ddbCredentials,
      tableName: stack.tableName,
      admin: stack.admin,
      lifecycleEventsFile: stack.lifecycleEventsFile,
      javaPid: stack.javaPid,
    };
    process.send(ready);
  }
  if (!quiet) {
    console.log(
      [
        '',
        'Local stack ready:',
        `  Sign-in pages    ${stack.apiUrl}/`,
        `  API              ${stack.apiUrl}   (e.g. ${stack.apiUrl}/.well-known/jwks.json)`,
        `  Health           ${stack.apiUrl}/health`,
        `  Mail viewer      ${stack.mailUrl}/`,
        `  Mails as JSON    ${stack.mailUrl}/store`,
        `  Lifecycle events ${stack.lifecycleEventsFile}   (JSON lines)`,
        `  Breach check     ${stack.breachedPasswordsUrl}   (stand-in for Have I Been Pwned's range API)`,
        `  OpenID provider  ${stack.identityProviderUrl}   (provider "local": sign in with any address)`,
        `  DynamoDB Local   ${stack.ddbEndpoint}   (table ${stack.tableName}, only under access key id ${stack.ddbCredentials.accessKeyId}, region us-east-1)`,
        '',
        'Admin API (/admin, SigV4 for execute-api; `npm run admin -- --api ' + stack.apiUrl + ' users list` with these set):',
        `  AWS_ACCESS_KEY_ID=${stack.admin.accessKeyId}`,
        `  AWS_SECRET_ACCESS_KEY=${stack.admin.secretAccessKey}`,
        `  AWS_REGION=${stack.admin.region}`,
        '',
        'Press Ctrl-C to stop.',
        '',
      ].join('\n'),
    );
  }
} catch (error) {
  // A problem the user can fix (setup, configuration) is one line; anything else keeps its stack trace.
  const fixable = error instanceof LocalStackError || (error instanceof Error && error.name === 'ConfigError');
  console.error(fixable ? `Cannot start the local stack: ${(error as Error).message}` : error);
  await shutdown(1);
}
