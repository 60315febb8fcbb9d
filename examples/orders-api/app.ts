import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { readStackConfig } from '@serverless-auth/cdk';
import { OrdersStack } from './orders-stack';

/**
 * The team's CDK app: `npx cdk synth --app 'npx tsx examples/orders-api/app.ts'` from the
 * repository root (cdk.json's context supplies the service's settings; -c overrides them), or
 * `npm install && npm run synth` in this folder, on the packed tarball (after `npm run pack`).
 */
const app = new App();
const config = readStackConfig(app.node.getAllContext());
new OrdersStack(app, `OrdersApi-${config.stage}`, { config, description: `Orders API with serverless-auth (${config.stage})` });
Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));
