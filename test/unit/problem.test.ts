import { describe, expect, it } from 'vitest';
import { ApiError, errorCatalog } from '../../shared/errors';
import { problemResponse } from '../../shared/http/problem';

const body = (result: { body: string }) => JSON.parse(result.body);

describe('error replies', () => {
  it('turns every catalogued code into RFC 9457 problem+json with its status', () => {
    for (const [code, { status, title }] of Object.entries(errorCatalog)) {
      const reply = problemResponse(new ApiError(code as keyof typeof errorCatalog));

      expect(reply.statusCode).toBe(status);
      expect(reply.headers?.['Content-Type']).toBe('application/problem+json');
      expect(body(reply)).toMatchObject({ type: `urn:serverless-auth:error:${code}`, title, status, code });
    }
  });

  it('shows 4xx details and field errors', () => {
    const reply = problemResponse(new ApiError('validation_failed', { errors: [{ field: 'email', message: 'must be a valid email address' }] }));

    expect(body(reply).errors).toEqual([{ field: 'email', message: 'must be a valid email address' }]);
  });

  it('answers an AWS throttle or timeout with 503 and Retry-After', () => {
    for (const name of ['ThrottlingException', 'ProvisionedThroughputExceededException', 'TimeoutError']) {
      const reply = problemResponse(Object.assign(new Error('slow down'), { name }));

      expect(reply.statusCode).toBe(503);
      expect(reply.headers?.['Retry-After']).toBe('5');
      expect(body(reply).code).toBe('service_unavailable');
    }
  });

  it('answers a network failure to an AWS endpoint with 503', () => {
    expect(problemResponse(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:8000'), { code: 'ECONNREFUSED' })).statusCode).toBe(503);
  });

  it('hides everything about an unexpected error behind a generic 500', () => {
    const reply = problemResponse(new TypeError("Cannot read properties of undefined (reading 'x') at /var/task/index.mjs:1:2"));

    expect(reply.statusCode).toBe(500);
    expect(reply.body).not.toMatch(/Cannot|var\/task|TypeError/);
    expect(body(reply)).toEqual({ type: 'urn:serverless-auth:error:internal_error', title: 'Something went wrong on our side.', status: 500, code: 'internal_error' });
  });
});
