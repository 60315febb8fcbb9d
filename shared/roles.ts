/**
 * Roles: names on the user item, carried in the access token as `roles`. What a role allows is
 * the team's routes' business; the service only lets the authorizer keep a route to the callers
 * holding one of its `requiredRoles`. Loaded by the authorizer (hot path): no validator library.
 */
export const MAX_ROLES = 10;
export const ROLE_NAME = /^[a-z0-9_:-]{1,32}$/;

export function isRoleName(value: unknown): value is string {
  return typeof value === 'string' && ROLE_NAME.test(value);
}

/** Why `roles` is not a valid role list, or undefined when it is. */
export function roleListProblem(roles: unknown): string | undefined {
  if (!Array.isArray(roles)) return 'must be a list of role names';
  if (roles.length > MAX_ROLES) return `must hold at most ${MAX_ROLES} roles`;
  if (!roles.every(isRoleName)) return 'must hold role names of 1 to 32 characters a-z, 0-9, "_", ":" or "-"';
  if (new Set(roles).size !== roles.length) return 'must not repeat a role';
  return undefined;
}

/** A team route the authorizer keeps to callers holding one of `requiredRoles`. */
export interface RoleGatedRoute {
  method: string;
  /** API Gateway resource path; a `{name}` segment stands for one path segment. */
  path: string;
  requiredRoles: readonly string[];
}

/** The variable the construct hands the role-gated routes to the authorizer in (JSON). */
export const ROLE_GATED_ROUTES_VARIABLE = 'ROLE_GATED_ROUTES';

/** Parses ROLE_GATED_ROUTES; throws naming the variable when it is malformed (a cold-start failure, not a silent open door). */
export function parseRoleGatedRoutes(raw: string | undefined): RoleGatedRoute[] {
  if (raw === undefined || raw.trim() === '') return [];
  const fail = (why: string): never => {
    throw new Error(`Invalid configuration: ${ROLE_GATED_ROUTES_VARIABLE}: ${why}`);
  };
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    return fail('must be JSON');
  }
  if (!Array.isArray(parsed)) return fail('must be a JSON list of {method, path, requiredRoles}');
  return parsed.map((entry: Partial<RoleGatedRoute>) => {
    if (typeof entry?.method !== 'string' || !/^[A-Z]+$/.test(entry.method)) return fail('each route needs an upper-case method');
    if (typeof entry.path !== 'string' || !/^\/[\w{}\-./]*$/.test(entry.path)) return fail('each route needs a path starting with "/"');
    const problem = roleListProblem(entry.requiredRoles);
    if (problem || entry.requiredRoles!.length === 0) return fail(`requiredRoles of ${entry.method} ${entry.path} ${problem ?? 'must name at least one role'}`);
    return { method: entry.method, path: entry.path, requiredRoles: entry.requiredRoles! };
  });
}

/** The method ARN pattern of a route on the stage of `methodArn` (`{param}` segments as `*`). */
export function routeResource(methodArn: string, route: Pick<RoleGatedRoute, 'method' | 'path'>): string {
  const [apiArn, stage] = methodArn.split('/');
  return `${apiArn}/${stage}/${route.method}${route.path.replace(/\{[^/}]+\}/g, '*')}`;
}

export const mayReach = (roles: readonly string[], route: RoleGatedRoute) => route.requiredRoles.some((role) => roles.includes(role));

/**
 * The authorizer's policy for a caller holding `roles`: every route of the stage, except the
 * role-gated routes it holds none of the roles for (an explicit Deny wins in IAM). The policy
 * depends only on the token, never on the route being called, so API Gateway's result cache,
 * keyed by the token and reused for every route, answers each route rightly.
 */
export function policyFor(methodArn: string, roles: readonly string[], gated: readonly RoleGatedRoute[]) {
  const [apiArn, stage] = methodArn.split('/');
  const denied = gated.filter((route) => !mayReach(roles, route)).map((route) => routeResource(methodArn, route));
  return {
    Version: '2012-10-17',
    Statement: [
      { Action: 'execute-api:Invoke', Effect: 'Allow' as const, Resource: `${apiArn}/${stage}/*/*` },
      ...(denied.length ? [{ Action: 'execute-api:Invoke', Effect: 'Deny' as const, Resource: denied }] : []),
    ],
  };
}

/** Authorizer context values must be strings: roles travel joined by spaces (no role name holds one). */
export const joinRoles = (roles: readonly string[]) => roles.join(' ');
export const splitRoles = (joined: unknown): string[] => (typeof joined === 'string' && joined ? joined.split(' ').filter(isRoleName) : []);
