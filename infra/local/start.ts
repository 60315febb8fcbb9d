import { LocalStackError } from './errors';
import { runLocalStack, Teardown, type ReadyMessage } from './stack';

/**
 * `npm start`: the whole service on this machine (docs/local.md). Ports from PORT (3000),
 * MAIL_PORT (8005) and DDB_PORT (8000); Ctrl-C stops everything, Java included.
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
    { port: portFromEnv('PORT', 3000), mailPort: portFromEnv('MAIL_PORT', 8005), ddbPort: portFromEnv('DDB_PORT', 8000) },
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
    const ready: ReadyMessage = {
      type: 'ready',
      apiUrl: stack.apiUrl,
      mailUrl: stack.mailUrl,
      ddbEndpoint: stack.ddbEndpoint,
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
        `  Demo page        ${stack.apiUrl}/`,
        `  API              ${stack.apiUrl}   (e.g. ${stack.apiUrl}/.well-known/jwks.json)`,
        `  Health           ${stack.apiUrl}/health`,
        `  Mail viewer      ${stack.mailUrl}/`,
        `  Mails as JSON    ${stack.mailUrl}/store`,
        `  Lifecycle events ${stack.lifecycleEventsFile}   (JSON lines)`,
        `  DynamoDB Local   ${stack.ddbEndpoint}   (table ${stack.tableName})`,
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
