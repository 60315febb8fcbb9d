import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { METRICS_NAMESPACE, recordSecurityEvent } from '../../shared/observability';

/**
 * The stack sets STAGE on every function; it must be in the environment before
 * shared/observability.ts creates the Metrics (test files run isolated, so only this file sees it).
 */
vi.hoisted(() => {
  process.env.STAGE = 'prod';
  // The test environment turns metrics off everywhere else.
  process.env.POWERTOOLS_METRICS_DISABLED = 'false';
});

let output: string[] = [];

beforeEach(() => {
  output = [];
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: unknown) => {
    output.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString('utf8'));
    return true;
  });
});

afterEach(() => {
  vi.restoreAllMocks();
});

describe('security metrics', () => {
  it('carry the stage next to the service, the dimensions the stage alarms watch', () => {
    // Act
    recordSecurityEvent('RefreshTokenReuse', { userId: 'user-1' });

    // Assess
    const emf = output
      .join('')
      .split('\n')
      .filter((line) => line.includes('"_aws"'))
      .map((line) => JSON.parse(line) as Record<string, any>);
    expect(emf).toHaveLength(1);
    expect(emf[0]!._aws.CloudWatchMetrics[0]).toMatchObject({ Namespace: METRICS_NAMESPACE, Dimensions: [['service', 'stage']] });
    expect(emf[0]).toMatchObject({ service: 'serverless-auth', stage: 'prod', RefreshTokenReuse: 1 });
  });
});
