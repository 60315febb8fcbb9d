import { CustomResource, Duration, Lazy, Stack } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { createHash } from 'node:crypto';
import path from 'node:path';
import { ServiceFunction } from './service-function';

export interface TableDeletionProtectionProps {
  table: dynamodb.ITable;
  /** The table's CloudFormation resource: its definition is digested into the custom resource. */
  resource: dynamodb.CfnTable | dynamodb.CfnGlobalTable;
  logRetention: logs.RetentionDays;
}

/**
 * Turns the table's deletion protection on after the first create succeeded (see
 * table-protection/handler.ts for why not in the table's definition). Its TableDefinition
 * property is a digest of the table's template, so it runs again after any change CloudFormation
 * makes to the table. Call runAfter() with everything else the stack creates.
 */
export class TableDeletionProtection extends Construct {
  readonly setting: CustomResource;

  constructor(scope: Construct, id: string, props: TableDeletionProtectionProps) {
    super(scope, id);
    const stack = Stack.of(this);

    const setter = new ServiceFunction(this, 'Setter', {
      entry: path.join(import.meta.dirname, 'table-protection', 'handler.ts'),
      description: 'Turns the table deletion protection on once the stack was created',
      memorySize: 256,
      timeout: Duration.minutes(1),
      logRetention: props.logRetention,
      environment: {},
    });
    setter.role.addToPrincipalPolicy(
      new iam.PolicyStatement({ actions: ['dynamodb:DescribeTable', 'dynamodb:UpdateTable'], resources: [props.table.tableArn] }),
    );
    setter.role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['cloudformation:DescribeStacks'], resources: [stack.stackId] }));

    const tableTemplate = () => (props.resource as unknown as { _toCloudFormation(): object })._toCloudFormation();
    this.setting = new CustomResource(this, 'Setting', {
      serviceToken: setter.function.functionArn,
      resourceType: 'Custom::TableDeletionProtection',
      // CloudFormation answers a custom resource's silence after this, not after an hour.
      serviceTimeout: Duration.minutes(5),
      properties: {
        TableName: props.table.tableName,
        TableDefinition: Lazy.string({ produce: () => createHash('sha256').update(JSON.stringify(stack.resolve(tableTemplate()))).digest('hex').slice(0, 16) }),
      },
    });
    this.setting.node.addDependency(setter.role);
  }

  /** Runs after `constructs` are created: the stack's last step, so a later failure is unlikely. */
  runAfter(...constructs: Construct[]): void {
    for (const construct of constructs) if (construct !== this) this.setting.node.addDependency(construct);
  }
}
