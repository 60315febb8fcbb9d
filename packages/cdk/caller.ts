/**
 * `@serverless-auth/cdk/caller`: what a team's Lambda handler behind the service's authorizer
 * needs, and nothing from aws-cdk-lib (the package's main entry loads the CDK, which does not
 * belong in a Lambda bundle): who is calling, the service's CORS headers, and its problem+json.
 */
export { callerFrom, type Caller } from '../../shared/http/caller';
export { corsHeaders, isOriginAllowed, preflightHeaders } from '../../shared/http/cors';
export { ApiError, PROBLEM_CONTENT_TYPE, problemBody, type ErrorCode } from '../../shared/errors';
