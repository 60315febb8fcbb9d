import { randomBytes } from 'node:crypto';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { handler } from '../../functions/refresh/handler';
import { deriveRefreshToken } from '../../shared/tokens/refresh-token';
import { ddbMock, givenRotationSucceeds } from '../support/aws';
import { apiEvent, lambdaContext } from '../support/events';
import { cookieValue, expectProblem } from '../support/replies';

const alice = 'user-alice';
const newSessionId = () => randomBytes(16).toString('base64url');
const refreshWithCookieLines = (lines: string[]) =>
  handler(apiEvent({ path: '/auth/refresh', repeatedHeaders: { Cookie: lines } }), lambdaContext);

describe('POST /auth/refresh with several cookies', () => {
  it('reads the refresh cookie from any Cookie line, not only the last one', async () => {
    // Prepare
    const sessionId = newSessionId();
    givenRotationSucceeds({ id: sessionId, userId: alice, generation: 2 });

    // Act
    const reply = await refreshWithCookieLines([`refresh_token=${await deriveRefreshToken(sessionId, 2)}`, 'theme=dark']);

    // Assess
    expect(reply.statusCode).toBe(200);
    expect(cookieValue(reply, 'refresh_token')).toBe(await deriveRefreshToken(sessionId, 3));
  });

  it('uses the first refresh_token whose MAC verifies when a forged or stale one comes first', async () => {
    // Prepare
    const sessionId = newSessionId();
    givenRotationSucceeds({ id: sessionId, userId: alice, generation: 5 });
    const real = await deriveRefreshToken(sessionId, 5);
    const forged = `rt1.${newSessionId()}.0.${'A'.repeat(43)}`;

    // Act
    const reply = await refreshWithCookieLines([`refresh_token=${forged}; refresh_token=not-a-token`, `refresh_token=${real}`]);

    // Assess
    expect(reply.statusCode).toBe(200);
    expect(cookieValue(reply, 'refresh_token')).toBe(await deriveRefreshToken(sessionId, 6));
    expect(ddbMock.commandCalls(UpdateCommand)[0]!.args[0].input.ExpressionAttributeValues).toMatchObject({ ':from': 5, ':next': 6 });
  });

  it('answers 401 invalid_refresh_token and writes nothing when no presented refresh_token verifies', async () => {
    // Prepare
    const forged = `rt1.${newSessionId()}.0.${'A'.repeat(43)}`;

    // Act
    const reply = await refreshWithCookieLines([`refresh_token=${forged}`, 'refresh_token=also-not-a-token']);

    // Assess
    expectProblem(reply, 401, 'invalid_refresh_token');
    expect(ddbMock.commandCalls(UpdateCommand)).toEqual([]);
  });
});
