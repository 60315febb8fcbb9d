import { Aws, RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import { Construct } from 'constructs';
import { tableSchema } from '../shared/table';

export interface DataTableProps {
  /** Keep the table (and refuse deletion) when the stack goes away: the default for any real stage. */
  retainData: boolean;
  /** Standby Regions: the table becomes a global table with a replica in each (docs/multi-region.md). */
  replicaRegions?: readonly string[];
}

/**
 * The single table of shared/table.ts: on demand (no capacity to plan for a spiky login load),
 * point-in-time recovery, TTL clean-up of expired items, the sparse sessions-by-user and users-by-email indexes, and
 * the stream the mailer reads the outbox from.
 *
 * With replicaRegions it is an AWS::DynamoDB::GlobalTable (the default, eventually consistent
 * mode) with a standby replica per Region; only this Region writes (docs/multi-region.md). The
 * resource type differs from the single-Region table, so the choice is made when a stage is first
 * deployed: switching a running stage would create a new, empty table and retain the old one.
 */
export class DataTable extends Construct {
  readonly table: dynamodb.ITable;
  /** The table's CloudFormation resource (AWS::DynamoDB::Table, or GlobalTable with replicas). */
  readonly resource: dynamodb.CfnTable | dynamodb.CfnGlobalTable;

  constructor(scope: Construct, id: string, props: DataTableProps) {
    super(scope, id);
    const { partitionKey, sortKey, sessionsByUserIndex, usersByEmailIndex, timeToLiveAttribute, streamViewType } = tableSchema;
    // Both sparse: sessions-by-user (only session items carry its keys) and users-by-email (only user items).
    const indexes = [sessionsByUserIndex, usersByEmailIndex];
    // Kept on delete and replacement, but a table whose first create is rolled back goes with
    // the rollback: it holds nothing yet, and a kept one would block every retry by its name-less
    // twin. Deletion protection is therefore not in this definition (CloudFormation cannot
    // delete a protected table, and the rollback would fail): TableDeletionProtection turns it
    // on once the stack was created.
    const removalPolicy = props.retainData ? RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE : RemovalPolicy.DESTROY;

    if (props.replicaRegions && props.replicaRegions.length > 0) {
      // CloudFormation's own resource: CDK's TableV2 needs the stack's Region at synth, and this
      // stack is Region-agnostic. The home replica is the deploying Region (${AWS::Region}).
      const global = new dynamodb.CfnGlobalTable(this, 'Table', {
        attributeDefinitions: [partitionKey, sortKey, ...indexes.flatMap((index) => [index.partitionKey, index.sortKey])].map((attributeName) => ({ attributeName, attributeType: 'S' })),
        keySchema: [
          { attributeName: partitionKey, keyType: 'HASH' },
          { attributeName: sortKey, keyType: 'RANGE' },
        ],
        billingMode: 'PAY_PER_REQUEST',
        // A global table with replicas replicates through a stream of both images.
        streamSpecification: { streamViewType: 'NEW_AND_OLD_IMAGES' },
        timeToLiveSpecification: { attributeName: timeToLiveAttribute, enabled: true },
        globalSecondaryIndexes: indexes.map((index) => ({
          indexName: index.indexName,
          keySchema: [
            { attributeName: index.partitionKey, keyType: 'HASH' },
            { attributeName: index.sortKey, keyType: 'RANGE' },
          ],
          projection: { projectionType: 'INCLUDE', nonKeyAttributes: [...index.projectedAttributes] },
        })),
        replicas: [Aws.REGION, ...props.replicaRegions].map((region) => ({ region, pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true } })),
      });
      global.applyRemovalPolicy(removalPolicy);
      this.resource = global;
      this.table = dynamodb.Table.fromTableAttributes(this, 'Home', { tableArn: global.attrArn, tableStreamArn: global.attrStreamArn });
      return;
    }

    const table = new dynamodb.Table(this, 'Table', {
      partitionKey: { name: partitionKey, type: dynamodb.AttributeType.STRING },
      sortKey: { name: sortKey, type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      timeToLiveAttribute,
      // Feeds the mailer with inserted mail intents (shared/outbox.ts).
      stream: dynamodb.StreamViewType[streamViewType],
      removalPolicy,
    });
    for (const index of indexes) {
      table.addGlobalSecondaryIndex({
        indexName: index.indexName,
        partitionKey: { name: index.partitionKey, type: dynamodb.AttributeType.STRING },
        sortKey: { name: index.sortKey, type: dynamodb.AttributeType.STRING },
        projectionType: dynamodb.ProjectionType.INCLUDE,
        nonKeyAttributes: [...index.projectedAttributes],
      });
    }
    this.table = table;
    this.resource = table.node.defaultChild as dynamodb.CfnTable;
  }
}
