/**
 * Evaluation of the IAM policy a Lambda authorizer returns, the way API Gateway does it for
 * `execute-api:Invoke` on a method ARN: an explicit Deny wins, otherwise an Allow is needed,
 * otherwise the request is denied. Resource patterns use IAM wildcards (`*` any run of
 * characters, `?` one character) and are case-sensitive; actions match case-insensitively.
 */
export interface PolicyStatement {
  Effect?: unknown;
  Action?: unknown;
  Resource?: unknown;
}

export interface PolicyDocument {
  Version?: unknown;
  Statement?: unknown;
}

export type PolicyDecision = 'Allow' | 'Deny';

const INVOKE_ACTION = 'execute-api:Invoke';

function wildcardToRegExp(pattern: string, flags = ''): RegExp {
  const body = pattern
    .split('')
    .map((char) => (char === '*' ? '.*' : char === '?' ? '.' : char.replace(/[.+^${}()|[\]\\]/g, '\\$&')))
    .join('');
  return new RegExp(`^${body}$`, flags);
}

const asList = (value: unknown): unknown[] => (Array.isArray(value) ? value : value === undefined ? [] : [value]);

function matchesAny(patterns: unknown, value: string, flags?: string): boolean {
  return asList(patterns).some((pattern) => typeof pattern === 'string' && wildcardToRegExp(pattern, flags).test(value));
}

/** Statements, whether the document lists them as an array or (as IAM allows) a single object. */
function statementsOf(policy: PolicyDocument): PolicyStatement[] {
  return asList(policy.Statement).filter((s): s is PolicyStatement => typeof s === 'object' && s !== null);
}

export function evaluatePolicy(policy: PolicyDocument, methodArn: string): PolicyDecision {
  const applicable = statementsOf(policy).filter(
    (statement) => matchesAny(statement.Action, INVOKE_ACTION, 'i') && matchesAny(statement.Resource, methodArn),
  );
  if (applicable.some((statement) => statement.Effect === 'Deny')) return 'Deny';
  if (applicable.some((statement) => statement.Effect === 'Allow')) return 'Allow';
  return 'Deny';
}

/** API Gateway refuses (500) an authorizer answer that lacks a principal or a policy document. */
export function isWellFormedAuthorizerResult(
  result: unknown,
): result is { principalId: string; policyDocument: PolicyDocument; context?: Record<string, unknown> } {
  if (typeof result !== 'object' || result === null) return false;
  const candidate = result as Record<string, unknown>;
  const { principalId, policyDocument, context } = candidate;
  if (typeof principalId !== 'string' || principalId.length === 0) return false;
  if (typeof policyDocument !== 'object' || policyDocument === null) return false;
  if (context === undefined || context === null) return true;
  if (typeof context !== 'object' || Array.isArray(context)) return false;
  // Context values must be primitives; an object or array there is an authorizer configuration error.
  return Object.values(context).every((v) => ['string', 'number', 'boolean'].includes(typeof v) || v === null);
}
