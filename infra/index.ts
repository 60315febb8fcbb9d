/**
 * What a team's CDK app needs to run the service inside its own stack (see examples/orders-api).
 * This module loads aws-cdk-lib: Lambda handlers import callerFrom from shared/http/caller.ts,
 * which loads nothing but the error list, not from here.
 */
export { ServerlessAuth, type ServerlessAuthProps, type ProtectedRouteProps } from './serverless-auth';
export { AuthStack, type AuthStackProps } from './stack';
export { ServiceFunction, type ServiceFunctionProps } from './service-function';
export { ContextError, readStackConfig, type StackConfig } from './config';
export { callerFrom, type Caller } from '../shared/http/caller';
