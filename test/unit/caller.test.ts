import { describe, expect, it } from 'vitest';
import { ApiError } from '../../shared/errors';
import { callerFrom } from '../../shared/http/caller';
import { apiEvent } from '../support/events';

describe('callerFrom', () => {
  it('returns the user and session the authorizer established', () => {
    // Act
    const caller = callerFrom(apiEvent({ method: 'GET', path: '/orders', auth: { userId: 'user-alice', sessionId: 'session-1' } }));

    // Assess
    expect(caller).toEqual({ userId: 'user-alice', sessionId: 'session-1', roles: [] });
  });

  it('returns the roles the access token carried', () => {
    const caller = callerFrom(apiEvent({ method: 'GET', path: '/orders', auth: { userId: 'user-alice', sessionId: 'session-1', roles: 'admin billing:read' } }));

    expect(caller.roles).toEqual(['admin', 'billing:read']);
  });

  it.each([
    ['no authorizer context (a route not behind the authorizer)', undefined],
    ['an empty session id', { userId: 'user-alice', sessionId: '' }],
  ])('refuses with 401 unauthorized for %s, never serving the request as anonymous', (_, auth) => {
    // Act
    let refusal: unknown;
    try {
      callerFrom(apiEvent({ method: 'GET', path: '/orders', ...(auth ? { auth } : {}) }));
    } catch (error) {
      refusal = error;
    }

    // Assess
    expect(refusal).toBeInstanceOf(ApiError);
    expect(refusal).toMatchObject({ code: 'unauthorized', status: 401 });
  });
});
