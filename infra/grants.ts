import * as iam from 'aws-cdk-lib/aws-iam';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import type { FunctionAccess, SecretName, TableAction } from '../shared/routes';
import { INTENT_KEY_PREFIX } from '../shared/outbox';
import { SUPPRESSION_KEY_PREFIX } from '../shared/aws/dynamodb-suppressions';
import { tableSchema } from '../shared/table';
import { IDENTITY_PROVIDERS_VARIABLE } from './identity-providers';
import type { ServiceFunction } from './service-function';

/** What a function's `access` entry can point at. */
export interface ServiceResources {
  table: ITable;
  secrets: Record<SecretName, ISecret>;
  mail: {
    /** SES identity ARNs the service may send through (sender, plus sandbox recipients). */
    identityArns: string[];
    /** The only From address the service may use. */
    fromAddress: string;
    /** The From header of every mail (`Name <address>` or the address). */
    fromHeader: string;
    /** The SES configuration set every mail goes through (bounce and complaint events). */
    configurationSet: { name: string; arn: string };
  };
  identityProviders: {
    /** IDENTITY_PROVIDERS: the providers, each naming its secret (never holding it). */
    environment: string;
    /** Every provider's client secret. */
    clientSecretArns: string[];
  };
}

/**
 * Item-level DynamoDB actions per table need. TransactWriteItems has no IAM action of its own:
 * each item in a transaction is authorised as its Put/Update/Delete/ConditionCheck, so "write"
 * covers the core's transactions. Batch reads only where listed (the session list).
 */
export const tableActions: Record<Exclude<TableAction, 'querySessions' | 'queryUserItems' | 'enqueueMail' | 'recordSuppression' | 'queryEvents' | 'queryUsers'>, string[]> = {
  read: ['dynamodb:GetItem'],
  batchRead: ['dynamodb:BatchGetItem'],
  write: ['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem', 'dynamodb:ConditionCheckItem'],
};

/** The variable under which shared/keys.ts looks for each secret's id. */
export const secretIdVariables: Record<SecretName, string> = {
  signingKey: 'JWT_PRIVATE_KEY_SECRET_ID',
  publicKeys: 'JWT_PUBLIC_KEYS_SECRET_ID',
  refreshKey: 'REFRESH_TOKEN_KEY_SECRET_ID',
  mfaKey: 'MFA_SECRET_KEY_SECRET_ID',
};

/**
 * The single place where a function's `access` entry from shared/routes.ts becomes IAM: only the
 * listed table actions (the session query only on the sessions-by-user index), only the listed
 * secrets (and only their ids reach the function's environment), mail (with its From
 * setting) only for a function that sends, through the configured sender identity from the
 * configured address, and the identity providers' client secrets only for a function that
 * exchanges codes with them.
 */
export function grantAccess(target: ServiceFunction, access: FunctionAccess, resources: ServiceResources): void {
  const { table, secrets, mail, identityProviders } = resources;

  const itemActions = access.table.flatMap((need) =>
    need === 'querySessions' || need === 'queryUserItems' || need === 'enqueueMail' || need === 'recordSuppression' || need === 'queryEvents' || need === 'queryUsers'
      ? []
      : tableActions[need],
  );
  if (itemActions.length > 0) {
    target.role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: itemActions, resources: [table.tableArn] }));
  }
  // Writing one kind of item and nothing else: only items whose partition key has its prefix.
  const putsUnder = (prefix: string) =>
    target.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['dynamodb:PutItem'],
        resources: [table.tableArn],
        conditions: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [`${prefix}*`] } },
      }),
    );
  if (access.table.includes('enqueueMail')) putsUnder(INTENT_KEY_PREFIX);
  if (access.table.includes('recordSuppression')) putsUnder(SUPPRESSION_KEY_PREFIX);
  if (access.table.includes('querySessions')) {
    target.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['dynamodb:Query'],
        resources: [`${table.tableArn}/index/${tableSchema.sessionsByUserIndex.indexName}`],
      }),
    );
  }

  if (access.table.includes('queryUsers')) {
    target.role.addToPrincipalPolicy(
      new iam.PolicyStatement({ actions: ['dynamodb:Query'], resources: [`${table.tableArn}/index/${tableSchema.usersByEmailIndex.indexName}`] }),
    );
  }
  if (access.table.includes('queryUserItems') || access.table.includes('queryEvents')) {
    // A user's passkeys, identity links and security events live under its USER# partition: a
    // Query there, and nowhere else on the table (one statement for both needs).
    target.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['dynamodb:Query'],
        resources: [table.tableArn],
        conditions: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['USER#*'] } },
      }),
    );
  }
  for (const name of access.secrets) {
    target.role.addToPrincipalPolicy(
      new iam.PolicyStatement({ actions: ['secretsmanager:GetSecretValue'], resources: [secrets[name].secretArn] }),
    );
    target.function.addEnvironment(secretIdVariables[name], secrets[name].secretArn);
  }

  if (access.identityProviders) {
    target.function.addEnvironment(IDENTITY_PROVIDERS_VARIABLE, identityProviders.environment);
    if (access.identityProviders === 'clientSecrets' && identityProviders.clientSecretArns.length > 0) {
      target.role.addToPrincipalPolicy(
        new iam.PolicyStatement({ actions: ['secretsmanager:GetSecretValue'], resources: identityProviders.clientSecretArns }),
      );
    }
  }

  if (access.sendsMail) {
    target.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        // The core sends with SES SendEmail only; SendRawEmail (attachments, custom MIME) is not needed.
        // A send through a configuration set is authorised against the set as well as the identities.
        actions: ['ses:SendEmail'],
        resources: [...mail.identityArns, mail.configurationSet.arn],
        // IgnoreCase: the address is stored lower-cased, SES compares the Source as written.
        conditions: { StringEqualsIgnoreCase: { 'ses:FromAddress': mail.fromAddress } },
      }),
    );
    target.function.addEnvironment('MAIL_FROM', mail.fromHeader);
    target.function.addEnvironment('SES_CONFIGURATION_SET', mail.configurationSet.name);
  }
}
