import { parseArgs } from 'node:util';
import { startLocalStack, type LocalStack } from '../infra/local/stack';
import { UNCAPPED_MAIL } from './local-stack';
import { formatLoadReport, runLoad } from './load';

/**
 * `npm run load`: the bounded load run of docs/performance.md. By default it starts a local stack
 * of its own (production hashing cost, free ports) and stops it after; `--api` and `--mail` point
 * it at a running `npm start` instead. Exits 1 if any reply was a 5xx or any session was lost.
 *
 *   npm run load                                  # 50 users for 60 s
 *   npm run load -- --concurrency 10 --seconds 15
 *   npm run load -- --api http://localhost:3000 --mail http://localhost:8005
 */
const { values } = parseArgs({
  options: {
    concurrency: { type: 'string', default: '50' },
    seconds: { type: 'string', default: '60' },
    api: { type: 'string' },
    mail: { type: 'string' },
  },
});
const concurrency = Number(values.concurrency);
const seconds = Number(values.seconds);
if (!Number.isInteger(concurrency) || concurrency < 1 || !(seconds > 0)) {
  console.error('--concurrency must be a whole number >= 1 and --seconds a number > 0');
  process.exit(2);
}
if (Boolean(values.api) !== Boolean(values.mail)) {
  console.error('--api and --mail go together (the accounts are signed up through the mail viewer)');
  process.exit(2);
}

const started = Date.now();
const progress = (line: string) => process.stderr.write(`[load ${((Date.now() - started) / 1000).toFixed(0)}s] ${line}\n`);
let own: LocalStack | undefined;
try {
  if (!values.api) progress('starting a local stack');
  own = values.api ? undefined : await startLocalStack({ quiet: true, env: UNCAPPED_MAIL });
  const stack = own ?? { apiUrl: values.api!.replace(/\/$/, ''), mailUrl: values.mail!.replace(/\/$/, '') };
  const report = await runLoad(stack, { concurrency, seconds }, progress);
  console.log(formatLoadReport(report));
  process.exitCode = report.serverErrors > 0 || report.lostSessions > 0 ? 1 : 0;
} finally {
  await own?.stop();
}
