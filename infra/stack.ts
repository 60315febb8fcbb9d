import { Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { ServerlessAuth, type ServerlessAuthProps } from './serverless-auth';

export type AuthStackProps = StackProps & ServerlessAuthProps;

/** The service on its own: one stack holding the ServerlessAuth construct; see docs/deploy.md. */
export class AuthStack extends Stack {
  readonly auth: ServerlessAuth;

  constructor(scope: Construct, id: string, props: AuthStackProps) {
    // Every stage but dev refuses `cdk destroy` and a console delete until the flag is turned
    // off by hand: the table and keys are retained, but the API, alarms and WAF are not.
    super(scope, id, { terminationProtection: props.config.stage !== 'dev', ...props });
    const { config, routes, functionsDir } = props;
    // The id "Default" leaves the construct out of every logical id: the resources keep the ids
    // they had when they were built straight in this stack, so an existing deployment updates in
    // place instead of replacing its table, keys and API.
    this.auth = new ServerlessAuth(this, 'Default', { config, routes, functionsDir });
  }
}
