import * as iam from 'aws-cdk-lib/aws-iam';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import type { FunctionAccess, SecretName, TableAction } from '../shared/routes';
import { INTENT_KEY_PREFIX } from '../shared/outbox';
import { tableSchema } from '../shared/table';
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
  };
}

/**
 * Item-level DynamoDB actions per table need. TransactWriteItems has no IAM action of its own:
 * each item in a transaction is authorised as its Put/Update/Delete/ConditionCheck, so "write"
 * covers the core's transactions. Batch reads only where listed (the session list).
 */
export const tableActions: Record<Exclude<TableAction, 'querySessions' | 'enqueueMail' | 'queryEvents' | 'queryUsers'>, string[]> = {
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
 * secrets (and only their ids reach the function's environment), and mail (with its From
 * setting) only for a function that sends, through the configured sender identity from the
 * configured address.
 */
export function grantAccess(target: ServiceFunction, access: FunctionAccess, resources: ServiceResources): void {
  const { table, secrets, mail } = resources;

  const itemActions = access.table.flatMap((need) => (need === 'querySessions' || need === 'enqueueMail' || need === 'queryEvents' || need === 'queryUsers' ? [] : tableActions[need]));
  if (itemActions.length > 0) {
    target.role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: itemActions, resources: [table.tableArn] }));
  }
  if (access.table.includes('enqueueMail')) {
    // Writing a mail intent and nothing else: only items whose partition key is an intent's.
    target.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['dynamodb:PutItem'],
        resources: [table.tableArn],
        conditions: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [`${INTENT_KEY_PREFIX}*`] } },
      }),
    );
  }
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
  if (access.table.includes('queryEvents')) {
    // Security events are listed by a Query of a user's partition: only user partitions.
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

  if (access.sendsMail) {
    target.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        // The core sends with SES SendEmail only; SendRawEmail (attachments, custom MIME) is not needed.
        actions: ['ses:SendEmail'],
        resources: mail.identityArns,
        conditions: { StringEquals: { 'ses:FromAddress': mail.fromAddress } },
      }),
    );
    target.function.addEnvironment('MAIL_FROM', mail.fromHeader);
  }
}
