import { RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import { Construct } from 'constructs';
import { tableSchema } from '../shared/table';

export interface DataTableProps {
  /** Keep the table (and refuse deletion) when the stack goes away: the default for any real stage. */
  retainData: boolean;
}

/**
 * The single table of shared/table.ts: on demand (no capacity to plan for a spiky login load),
 * point-in-time recovery, TTL clean-up of expired items, the sparse sessions-by-user index, and
 * the stream the mailer reads the outbox from.
 */
export class DataTable extends Construct {
  readonly table: dynamodb.Table;

  constructor(scope: Construct, id: string, props: DataTableProps) {
    super(scope, id);
    const { partitionKey, sortKey, sessionsByUserIndex, timeToLiveAttribute, streamViewType } = tableSchema;

    this.table = new dynamodb.Table(this, 'Table', {
      partitionKey: { name: partitionKey, type: dynamodb.AttributeType.STRING },
      sortKey: { name: sortKey, type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      timeToLiveAttribute,
      // Feeds the mailer with inserted mail intents (shared/outbox.ts).
      stream: dynamodb.StreamViewType[streamViewType],
      deletionProtection: props.retainData,
      // Kept on delete and replacement, but a table whose first create is rolled back goes with
      // the rollback: it holds nothing yet, and a kept one would block every retry by its name-less twin.
      removalPolicy: props.retainData ? RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE : RemovalPolicy.DESTROY,
    });

    // Both sparse: sessions-by-user (only session items carry its keys) and users-by-email (only user items).
    for (const index of [sessionsByUserIndex, tableSchema.usersByEmailIndex]) {
      this.table.addGlobalSecondaryIndex({
        indexName: index.indexName,
        partitionKey: { name: index.partitionKey, type: dynamodb.AttributeType.STRING },
        sortKey: { name: index.sortKey, type: dynamodb.AttributeType.STRING },
        projectionType: dynamodb.ProjectionType.INCLUDE,
        nonKeyAttributes: [...index.projectedAttributes],
      });
    }
  }
}
