import type { APIGatewayAuthorizerResult, APIGatewayRequestAuthorizerEvent } from 'aws-lambda';
import type { Config } from './config';
import { sessionState } from './auth/session-rules';
import { joinRoles, policyFor, type RoleGatedRoute } from './roles';
import type { SessionRecord, SessionStore } from './stores';
import { verifyAccessToken } from './tokens/access-token';

/**
 * The REQUEST authorizer's rules: a valid access token of a live session is allowed, anything
 * else is "Unauthorized" (API Gateway's cue for a 401). The policy covers every method and path
 * of the stage but the role-gated routes the token's roles do not reach (shared/roles.ts), so a
 * result cached by API Gateway for this token answers every other route rightly too.
 */
export const UNAUTHORIZED = 'Unauthorized';

export function bearerToken(headers: Record<string, string | undefined> | null | undefined): string | undefined {
  if (!headers) return undefined;
  const value = Object.entries(headers).find(([name]) => name.toLowerCase() === 'authorization')?.[1];
  const match = value ? /^Bearer ([A-Za-z0-9_-]+\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*)$/i.exec(value.trim()) : null;
  return match?.[1];
}

/**
 * Session liveness, remembered briefly per session id so a warm authorizer does not read
 * DynamoDB for every call. The memory (SESSION_CHECK_CACHE_SECONDS) adds to API Gateway's result
 * cache in the documented bound on how long a revoked session's access token keeps working.
 */
export class SessionLivenessCache {
  private readonly entries = new Map<string, { session: SessionRecord | undefined; until: number }>();
  private static readonly MAX_ENTRIES = 10_000;

  constructor(
    private readonly sessions: Pick<SessionStore, 'get'>,
    private readonly ttlMs: number,
  ) {}

  async get(sessionId: string, now: number): Promise<SessionRecord | undefined> {
    const hit = this.entries.get(sessionId);
    if (hit && hit.until > now) return hit.session;
    const session = await this.sessions.get(sessionId);
    if (this.ttlMs > 0) {
      if (this.entries.size >= SessionLivenessCache.MAX_ENTRIES) this.entries.clear();
      this.entries.set(sessionId, { session, until: now + this.ttlMs });
    }
    return session;
  }
}

export async function authorize(
  event: Pick<APIGatewayRequestAuthorizerEvent, 'headers' | 'methodArn'>,
  deps: {
    sessions: SessionLivenessCache;
    config: Pick<Config, 'SESSION_IDLE_TIMEOUT_SECONDS'>;
    now: number;
    /** The team's routes kept to some roles (ROLE_GATED_ROUTES). */
    gatedRoutes?: readonly RoleGatedRoute[];
  },
): Promise<APIGatewayAuthorizerResult> {
  const token = bearerToken(event.headers);
  if (!token) throw new Error(UNAUTHORIZED);
  const claims = await verifyAccessToken(token);
  if (!claims) throw new Error(UNAUTHORIZED);
  const session = await deps.sessions.get(claims.sid, deps.now);
  // Idle timeout is a refresh-token rule; an access token lives its 15 minutes unless revoked or past the absolute end.
  if (!session || session.userId !== claims.sub || sessionState({ ...session, lastUsedAt: deps.now }, deps.now, deps.config) !== 'live') {
    throw new Error(UNAUTHORIZED);
  }
  return {
    principalId: claims.sub,
    policyDocument: policyFor(event.methodArn, claims.roles, deps.gatedRoutes ?? []),
    context: { userId: claims.sub, sessionId: claims.sid, roles: joinRoles(claims.roles) },
  };
}
