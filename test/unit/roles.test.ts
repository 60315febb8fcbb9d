import { describe, expect, it } from 'vitest';
import { evaluatePolicy } from '../../infra/local/policy';
import { MAX_ROLES, parseRoleGatedRoutes, policyFor, roleListProblem, splitRoles, joinRoles } from '../../shared/roles';

const STAGE = 'arn:aws:execute-api:eu-west-1:123456789012:api1234567/prod';
const methodArn = (method: string, path: string) => `${STAGE}/${method}${path}`;
const gated = [
  { method: 'GET', path: '/reports', requiredRoles: ['admin', 'analyst'] },
  { method: 'DELETE', path: '/orders/{id}', requiredRoles: ['admin'] },
];

describe('role names and limits', () => {
  it.each([['admin'], ['billing:read'], ['team_1-ops'], ['a'.repeat(32)]])('accepts %s', (name) => {
    expect(roleListProblem([name])).toBeUndefined();
  });

  it.each([['Admin'], ['with space'], [''], ['a'.repeat(33)], ['é'], ['admin*']])('refuses %j', (name) => {
    expect(roleListProblem([name])).toMatch(/role names/);
  });

  it(`accepts ${MAX_ROLES} roles and refuses one more`, () => {
    const roles = Array.from({ length: MAX_ROLES + 1 }, (_, i) => `role-${i}`);
    expect(roleListProblem(roles.slice(0, MAX_ROLES))).toBeUndefined();
    expect(roleListProblem(roles)).toMatch(/at most 10/);
  });

  it('refuses a repeated role and anything but a list', () => {
    expect(roleListProblem(['admin', 'admin'])).toMatch(/repeat/);
    expect(roleListProblem('admin')).toMatch(/list/);
  });

  it('carries roles through the authorizer context and back, dropping anything that is no role name', () => {
    expect(splitRoles(joinRoles(['admin', 'billing:read']))).toEqual(['admin', 'billing:read']);
    expect(splitRoles('')).toEqual([]);
    expect(splitRoles(undefined)).toEqual([]);
    expect(splitRoles('admin ROOT')).toEqual(['admin']);
  });
});

describe('the authorizer policy from roles and routes', () => {
  it('lets a caller without roles reach every route but the role-gated ones', () => {
    const policy = policyFor(methodArn('GET', '/me'), [], gated);

    expect(evaluatePolicy(policy, methodArn('GET', '/me'))).toBe('Allow');
    expect(evaluatePolicy(policy, methodArn('POST', '/auth/logout'))).toBe('Allow');
    expect(evaluatePolicy(policy, methodArn('GET', '/reports'))).toBe('Deny');
    expect(evaluatePolicy(policy, methodArn('DELETE', '/orders/42'))).toBe('Deny');
    expect(evaluatePolicy(policy, methodArn('GET', '/orders/42'))).toBe('Allow');
  });

  it('lets a caller holding one of the required roles reach the gated route, whichever route the policy was made for', () => {
    const policy = policyFor(methodArn('GET', '/me'), ['analyst'], gated);

    expect(evaluatePolicy(policy, methodArn('GET', '/reports'))).toBe('Allow');
    expect(evaluatePolicy(policy, methodArn('DELETE', '/orders/42'))).toBe('Deny');
    expect(evaluatePolicy(policy, methodArn('GET', '/me'))).toBe('Allow');
  });

  it('never reaches another stage or API', () => {
    const policy = policyFor(methodArn('GET', '/me'), ['admin'], gated);

    expect(evaluatePolicy(policy, 'arn:aws:execute-api:eu-west-1:123456789012:api1234567/dev/GET/me')).toBe('Deny');
    expect(evaluatePolicy(policy, 'arn:aws:execute-api:eu-west-1:123456789012:other12345/prod/GET/me')).toBe('Deny');
  });

  it('reads the gated routes from ROLE_GATED_ROUTES and refuses a malformed value naming the variable', () => {
    expect(parseRoleGatedRoutes(JSON.stringify(gated))).toEqual(gated);
    expect(parseRoleGatedRoutes(undefined)).toEqual([]);
    expect(() => parseRoleGatedRoutes('{')).toThrow(/ROLE_GATED_ROUTES/);
    expect(() => parseRoleGatedRoutes(JSON.stringify([{ method: 'GET', path: '/x', requiredRoles: [] }]))).toThrow(/at least one role/);
    expect(() => parseRoleGatedRoutes(JSON.stringify([{ method: 'GET', path: '/x', requiredRoles: ['Bad Role'] }]))).toThrow(/ROLE_GATED_ROUTES/);
  });
});
