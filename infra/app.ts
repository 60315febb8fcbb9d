import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { ContextError, exampleValueProblems, readStackConfig, type StackConfig } from './config';
import { AuthStack } from './stack';

/**
 * The CDK app (`npx cdk synth|deploy`, see cdk.json). Environment-agnostic: account and region
 * come from the deploying credentials, so synth needs neither credentials nor network. Every
 * resource is checked against cdk-nag's AwsSolutions rules (a CDK policy-validation plugin): an
 * unacknowledged finding fails synth.
 */
const app = new App();

let config: StackConfig;
try {
  config = readStackConfig(app.node.getAllContext());
  // cdk.json's example values are there so a clone synthesizes; a real stage of this app must not
  // send from, link to or allow an example domain.
  const examples = exampleValueProblems(config);
  if (examples.length > 0) throw new ContextError(['Invalid cdk context (set it with -c key=value or in cdk.json):', ...examples.map((p) => `  ${p}`)].join('\n'));
} catch (error) {
  // A configuration mistake deserves one clear line, not a stack trace.
  if (!(error instanceof ContextError)) throw error;
  console.error(error.message);
  process.exit(1);
}

new AuthStack(app, `ServerlessAuth-${config.stage}`, {
  config,
  description: `Email/password authentication service (${config.stage})`,
});
Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));
