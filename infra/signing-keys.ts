import { CustomResource, Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as logs from 'aws-cdk-lib/aws-logs';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import path from 'node:path';
import type { SecretName } from '../shared/routes';
import { secretIdVariables } from './grants';
import { KEY_MANAGER_KEY_PREFIX } from './keys/key-records';
import { ServiceFunction } from './service-function';

export interface SigningKeysProps {
  accessTokenTtlSeconds: number;
  rotationDays: number;
  logRetention: logs.RetentionDays;
  /** The service's table: the key manager keeps its lease and its record of the keys there. */
  table: dynamodb.ITable;
  stage: string;
  /** Standby Regions the secrets are replicated to (docs/multi-region.md). */
  replicaRegions: readonly string[];
}

/**
 * The secrets a new value of which costs users something: a new refresh key ends every session,
 * a new MFA key makes every stored TOTP secret unreadable. They are kept when the stack is
 * deleted or the secret replaced; the signing and public keys are not (a new pair only costs
 * the access tokens of the last few minutes).
 */
export const RETAINED_SECRETS = ['refreshKey', 'mfaKey'] as const satisfies readonly SecretName[];

/**
 * The four secrets of shared/keys.ts and the key manager that fills and rotates them. The
 * secrets are created empty of key material (Secrets Manager fills them with a random
 * placeholder); the key manager, run as a custom resource on every deploy, replaces whatever is
 * not valid key material yet. So no key is ever in the template, the repo or the CDK output.
 */
export class SigningKeys extends Construct {
  readonly secrets: Record<SecretName, secretsmanager.Secret>;
  readonly manager: ServiceFunction;
  /** Depend on this to run only once the key material exists. */
  readonly ready: CustomResource;

  constructor(scope: Construct, id: string, props: SigningKeysProps) {
    super(scope, id);

    // The generated value is only a placeholder the key manager replaces; generateSecretString is
    // pinned to {} (test/infra/data.test.ts): a change to it would make CloudFormation write a new
    // placeholder over the key. Replicas keep a copy in each standby Region.
    const secret = (name: SecretName, id: string, description: string) =>
      new secretsmanager.Secret(this, id, {
        description,
        generateSecretString: {},
        removalPolicy: (RETAINED_SECRETS as readonly SecretName[]).includes(name) ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
        replicaRegions: props.replicaRegions.map((region) => ({ region })),
      });
    this.secrets = {
      signingKey: secret('signingKey', 'SigningKey', 'ES256 private signing key of access tokens (JSON, shared/keys.ts). Written by the key manager.'),
      publicKeys: secret('publicKeys', 'PublicKeys', 'Public keys that verify access tokens and feed the JWKS (JSON, shared/keys.ts). Written by the key manager.'),
      refreshKey: secret('refreshKey', 'RefreshTokenKey', 'HMAC key refresh tokens are derived with (base64url). Written by the key manager; kept when the stack goes.'),
      mfaKey: secret('mfaKey', 'MfaKey', 'AES-256-GCM key TOTP secrets are encrypted under (base64url). Written by the key manager; kept when the stack goes.'),
    };

    this.manager = new ServiceFunction(this, 'KeyManager', {
      entry: path.join(import.meta.dirname, 'keys', 'key-manager.ts'),
      description: 'Creates the signing and refresh keys at deploy; rotates the signing key on schedule',
      memorySize: 256,
      timeout: Duration.seconds(30),
      logRetention: props.logRetention,
      environment: {
        [secretIdVariables.signingKey]: this.secrets.signingKey.secretArn,
        [secretIdVariables.publicKeys]: this.secrets.publicKeys.secretArn,
        [secretIdVariables.refreshKey]: this.secrets.refreshKey.secretArn,
        [secretIdVariables.mfaKey]: this.secrets.mfaKey.secretArn,
        ACCESS_TOKEN_TTL_SECONDS: String(props.accessTokenTtlSeconds),
        SIGNING_KEY_ROTATION_DAYS: String(props.rotationDays),
        TABLE_NAME: props.table.tableName,
        // The dimensions of its KeyReplacementRefused metric, as every function's.
        STAGE: props.stage,
        STACK_NAME: Stack.of(this).stackName,
      },
    });
    // Its lease and its record of the keys, and nothing else of the table.
    this.manager.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:DeleteItem'],
        resources: [props.table.tableArn],
        conditions: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [`${KEY_MANAGER_KEY_PREFIX}*`] } },
      }),
    );
    this.manager.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['secretsmanager:GetSecretValue', 'secretsmanager:PutSecretValue'],
        resources: Object.values(this.secrets).map((s) => s.secretArn),
      }),
    );

    this.ready = new CustomResource(this, 'KeyMaterial', {
      serviceToken: this.manager.function.functionArn,
      resourceType: 'Custom::SigningKeys',
      // Changing a secret (a replacement) re-runs the manager, which fills the new one.
      properties: Object.fromEntries(Object.entries(this.secrets).map(([name, s]) => [name, s.secretArn])),
    });
    this.ready.node.addDependency(this.manager.role);

    new events.Rule(this, 'Schedule', {
      description: 'Moves signing key rotation along: publish, switch, prune (idempotent)',
      schedule: events.Schedule.rate(Duration.hours(1)),
      targets: [
        new targets.LambdaFunction(this.manager.function, {
          event: events.RuleTargetInput.fromObject({ action: 'maintain' }),
          retryAttempts: 2,
          maxEventAge: Duration.hours(1),
        }),
      ],
    });

    for (const secret of Object.values(this.secrets)) {
      Validations.of(secret).acknowledge({
        id: 'AwsSolutions-SMG4',
        reason:
          'Not Secrets Manager rotation: the signing key is rotated by the key manager on its hourly schedule in three steps (publish the public key, switch after every function re-read it, prune once its tokens expired), which the single-secret Secrets Manager rotation protocol cannot express. The refresh token key is rotated by hand on purpose: a new key ends every session (docs/deploy.md). The MFA key is never rotated automatically: a new key would make every stored TOTP secret unreadable.',
      });
    }
  }
}
