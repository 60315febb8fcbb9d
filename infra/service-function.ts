import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { nodejsBundling } from './bundling';

/** The repository root: bundling resolves packages and the lock file from here, whatever the cwd. */
const PROJECT_ROOT = path.join(import.meta.dirname, '..');

/**
 * The construct package (`npm run pack`) ships every function of the service prebuilt, at
 * `prebuilt/<entry path without extension>/index.mjs` beside its own infra/ (packages/pack.ts).
 * This repository has no such folder: here every function is bundled at synth.
 */
const PREBUILT_DIR = path.join(PROJECT_ROOT, 'prebuilt');

/** The shipped bundle of one of the service's own entries; undefined in this repository or for a team's function. */
function prebuiltCode(entry: string): lambda.Code | undefined {
  const relative = path.relative(PROJECT_ROOT, entry);
  if (!existsSync(PREBUILT_DIR) || relative.startsWith('..') || path.isAbsolute(relative)) return undefined;
  const bundle = path.join(PREBUILT_DIR, relative.replace(/\.[cm]?[jt]s$/, ''));
  if (!existsSync(path.join(bundle, 'index.mjs'))) throw new Error(`The package ships no prebuilt bundle for ${relative} (expected ${bundle}/index.mjs)`);
  return lambda.Code.fromAsset(bundle);
}

export interface ServiceFunctionProps {
  /**
   * Path of the handler module (exports `handler`), bundled at synth with the project's esbuild
   * (the service's own functions come prebuilt in the construct package).
   */
  entry: string;
  description: string;
  memorySize: number;
  timeout: Duration;
  environment: Record<string, string>;
  logRetention: logs.RetentionDays;
  /** Reserves (and caps) this many concurrent executions; undefined: the account's shared pool. */
  reservedConcurrentExecutions?: number;
}

/**
 * The one way this project builds a Lambda function: Node.js 24 on arm64, the shared esbuild
 * settings, X-Ray tracing, JSON logs into a log group of its own with retention, and a role of its
 * own that can write to that log group and nothing else until a grant adds exactly what the
 * function needs.
 */
export class ServiceFunction extends Construct {
  readonly function: lambda.Function;
  readonly role: iam.Role;
  readonly logGroup: logs.LogGroup;

  constructor(scope: Construct, id: string, props: ServiceFunctionProps) {
    super(scope, id);

    this.logGroup = new logs.LogGroup(this, 'Logs', {
      retention: props.logRetention,
      removalPolicy: RemovalPolicy.DESTROY,
    });

    // An explicit role instead of the default one: the default attaches the AWS-managed
    // AWSLambdaBasicExecutionRole, which may write to every log group in the account.
    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `Runs ${id}: its logs plus the grants listed in the route table`,
    });
    this.logGroup.grantWrite(this.role);

    const settings = {
      description: props.description,
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: props.memorySize,
      timeout: props.timeout,
      reservedConcurrentExecutions: props.reservedConcurrentExecutions,
      role: this.role,
      logGroup: this.logGroup,
      loggingFormat: lambda.LoggingFormat.JSON,
      tracing: lambda.Tracing.ACTIVE,
      environment: {
        ...props.environment,
        // Stack traces point into our TypeScript, not the minified bundle.
        NODE_OPTIONS: '--enable-source-maps',
      },
    } satisfies Omit<lambda.FunctionProps, 'code' | 'handler'>;
    const prebuilt = prebuiltCode(props.entry);
    const inProject = !path.relative(PROJECT_ROOT, props.entry).startsWith('..');
    this.function = prebuilt
      ? new lambda.Function(this, 'Function', { ...settings, code: prebuilt, handler: 'index.handler' })
      : new NodejsFunction(this, 'Function', {
          ...settings,
          entry: props.entry,
          handler: 'handler',
          // A team's function outside this project (the package in its node_modules): CDK finds its lock file from the cwd.
          ...(inProject ? { projectRoot: PROJECT_ROOT, depsLockFilePath: path.join(PROJECT_ROOT, 'package-lock.json') } : {}),
          awsSdkConnectionReuse: false,
          bundling: nodejsBundling,
        });

    Validations.of(this.role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'X-Ray tracing: xray:PutTraceSegments and xray:PutTelemetryRecords do not support resource-level permissions, so CDK grants them on "*". Nothing else in this role uses a wildcard.',
    });
  }
}
