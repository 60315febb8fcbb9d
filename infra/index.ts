/**
 * What a team's CDK app needs to run the service inside its own stack (see examples/orders-api).
 * This module loads aws-cdk-lib, so it exports no runtime code: a handler that imported a value
 * from here would bundle the CDK. Handlers import callerFrom from shared/http/caller.ts.
 */
export { ServerlessAuth, type ServerlessAuthProps, type ProtectedRouteProps } from './serverless-auth';
export { AuthStack, type AuthStackProps } from './stack';
export { ServiceFunction, type ServiceFunctionProps } from './service-function';
export { ContextError, readStackConfig, type StackConfig } from './config';
export type { Caller } from '../shared/http/caller';
