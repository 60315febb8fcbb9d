import { describe, expect, it } from 'vitest';
import { runLoad } from '../../bench/load';
import { stack } from './support';

/** `npm run load` in small (docs/performance.md, "Load run"): the same run, 10 users for 5 s. */
describe('a bounded load run on the local stack', () => {
  it('answers every sign-in, refresh and protected call without a 5xx and loses no session', { timeout: 60_000 }, async () => {
    // Act
    const report = await runLoad(stack, { concurrency: 10, seconds: 5 });

    // Assess
    expect(report.serverErrors).toBe(0);
    expect(report.lostSessions).toBe(0);
    expect(report.errors).toEqual([]);
    expect(report.routes['POST /auth/login'].requests).toBeGreaterThan(0);
    expect(report.routes['POST /auth/refresh'].requests).toBeGreaterThanOrEqual(10 * 3);
    expect(report.routes['GET /me'].requests).toBe(report.routes['POST /auth/refresh'].requests);
  });
});
