import { CustomResource, Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import path from 'node:path';
import { ServiceFunction } from './service-function';

export interface ApiGatewayCloudWatchRoleProps {
  logRetention: logs.RetentionDays;
}

/**
 * Makes sure the account's API Gateway settings name a CloudWatch role before a stage with
 * access logging is created (see api-gateway-account/handler.ts). The role is created here and
 * retained when the stack goes: once it is the account's setting, other APIs may depend on it.
 * Depend on this construct to run after the setting exists.
 */
export class ApiGatewayCloudWatchRole extends Construct {
  readonly role: iam.Role;
  readonly setting: CustomResource;

  constructor(scope: Construct, id: string, props: ApiGatewayCloudWatchRoleProps) {
    super(scope, id);
    const stack = Stack.of(this);

    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('apigateway.amazonaws.com'),
      description: 'API Gateway account setting: lets API Gateway write access and execution logs to CloudWatch Logs',
      // The actions of the AWS-managed AmazonAPIGatewayPushToCloudWatchLogs, inline so the role
      // is one resource that is retained whole.
      inlinePolicies: {
        PushToCloudWatchLogs: new iam.PolicyDocument({
          statements: [
            new iam.PolicyStatement({
              actions: [
                'logs:CreateLogGroup',
                'logs:CreateLogStream',
                'logs:DescribeLogGroups',
                'logs:DescribeLogStreams',
                'logs:PutLogEvents',
                'logs:GetLogEvents',
                'logs:FilterLogEvents',
              ],
              resources: ['*'],
            }),
          ],
        }),
      },
    });
    this.role.applyRemovalPolicy(RemovalPolicy.RETAIN);

    const setter = new ServiceFunction(this, 'Setter', {
      entry: path.join(import.meta.dirname, 'api-gateway-account', 'handler.ts'),
      description: 'Sets the API Gateway account CloudWatch role where none is set',
      memorySize: 256,
      // Waits up to a minute for the new role to become assumable.
      timeout: Duration.minutes(2),
      logRetention: props.logRetention,
      environment: {},
    });
    const accountArn = stack.formatArn({ service: 'apigateway', account: '', resource: '/account' });
    setter.role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['apigateway:GET', 'apigateway:PATCH'], resources: [accountArn] }));
    setter.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['iam:PassRole'],
        resources: [this.role.roleArn],
        conditions: { StringEquals: { 'iam:PassedToService': 'apigateway.amazonaws.com' } },
      }),
    );

    this.setting = new CustomResource(this, 'Setting', {
      serviceToken: setter.function.functionArn,
      resourceType: 'Custom::ApiGatewayCloudWatchRole',
      // CloudFormation answers a custom resource's silence after this, not after an hour.
      serviceTimeout: Duration.minutes(5),
      properties: { RoleArn: this.role.roleArn },
    });
    this.setting.node.addDependency(setter.role);

    Validations.of(this.role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'The account-wide API Gateway logging role writes to the log groups of every API in the region (the scope of the AWS-managed AmazonAPIGatewayPushToCloudWatchLogs policy); API Gateway names the groups, so they cannot be listed here.',
    });
  }
}
