import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { DescribeTableCommand, DynamoDBClient, UpdateTableCommand } from '@aws-sdk/client-dynamodb';
import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import { logger } from '../../shared/observability';
import { answerCloudFormation } from '../custom-resource-response';

/**
 * Deletion protection for the retained table, switched on by the stack once its first create
 * went through, instead of in the table's own definition. The table is RetainExceptOnCreate: the
 * rollback of a failed first create deletes it (it holds nothing yet), and CloudFormation cannot
 * delete a protected table, so protection in the definition would leave the stack in
 * ROLLBACK_FAILED with an orphaned table. This runs last (it depends on the rest of the
 * construct) and again whenever the table's definition changes; on a Delete it turns protection
 * off only while the stack is rolling back its first create, and leaves it on otherwise.
 */
const dynamodb = new DynamoDBClient({});
const cloudFormation = new CloudFormationClient({});

/** Stack states in which a Delete of this resource is the rollback of the stack's first create. */
const FIRST_CREATE_ROLLBACK = new Set(['ROLLBACK_IN_PROGRESS']);

export async function setDeletionProtection(client: DynamoDBClient, tableName: string, enabled: boolean): Promise<boolean> {
  const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
  if (Table?.DeletionProtectionEnabled === enabled) return false;
  await client.send(new UpdateTableCommand({ TableName: tableName, DeletionProtectionEnabled: enabled }));
  return true;
}

export async function isFirstCreateRollback(client: CloudFormationClient, stackId: string): Promise<boolean> {
  const { Stacks = [] } = await client.send(new DescribeStacksCommand({ StackName: stackId }));
  return FIRST_CREATE_ROLLBACK.has(Stacks[0]?.StackStatus ?? '');
}

export async function handler(event: CloudFormationCustomResourceEvent): Promise<void> {
  await answerCloudFormation(event, 'table-deletion-protection', async () => {
    const tableName = String(event.ResourceProperties.TableName);
    if (event.RequestType !== 'Delete') {
      const changed = await setDeletionProtection(dynamodb, tableName, true);
      logger.info('table deletion protection on', { changed });
      return { reason: changed ? 'deletion protection turned on' : 'deletion protection already on' };
    }
    if (!(await isFirstCreateRollback(cloudFormation, event.StackId))) return { reason: 'deletion protection left on' };
    await setDeletionProtection(dynamodb, tableName, false);
    return { reason: 'first create rolled back: deletion protection off so the empty table can go' };
  });
}
