import { Duration, Stack, type StackProps } from 'aws-cdk-lib';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import path from 'node:path';
import { ServerlessAuth, ServiceFunction, type StackConfig } from '@serverless-auth/cdk';

export interface OrdersStackProps extends StackProps {
  /** The service's configuration: readStackConfig(app.node.getAllContext()). */
  config: StackConfig;
}

/**
 * A team's own stack: the authentication service as one construct, plus GET /orders served by
 * the team's function on the same API, behind the same authorizer as the service's GET /me.
 */
export class OrdersStack extends Stack {
  readonly auth: ServerlessAuth;
  readonly orders: ServiceFunction;

  constructor(scope: Construct, id: string, props: OrdersStackProps) {
    super(scope, id, props);
    const { config } = props;

    this.auth = new ServerlessAuth(this, 'Auth', { config });

    // ServiceFunction builds it the way the service builds its own (Node.js 24, arm64, X-Ray, a
    // log group with retention, a role of its own), which keeps cdk-nag clean.
    this.orders = new ServiceFunction(this, 'Orders', {
      entry: path.join(import.meta.dirname, 'orders', 'handler.ts'),
      description: 'orders-api list-orders',
      memorySize: 256,
      timeout: Duration.seconds(10),
      environment: { ALLOWED_ORIGINS: config.allowedOrigins.join(',') },
      logRetention: config.logRetentionDays as RetentionDays,
    });

    this.auth.addProtectedRoute({ method: 'GET', path: '/orders', handler: this.orders.function });
  }
}
