import type { MiddlewareObj } from '@middy/core';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { ApiError } from '../errors';

export const MAX_BODY_BYTES = 16 * 1024;
const jsonContentType = /^application\/(?:[\w.+-]+\+)?json\s*(?:;|$)/i;

/**
 * Reads the JSON body with the answers a client can act on: 413 over 16 KiB, 415 for another
 * content type, 400 malformed_json. (middy's json parser answers 415 for malformed JSON and has
 * no size limit.) An absent body reads as {} so routes whose fields are all optional accept it.
 * Runs after the header normalizer, so header names are lower case.
 */
export function jsonBody(): MiddlewareObj<APIGatewayProxyEvent> {
  return {
    before: (request) => {
      const event = request.event;
      const raw = event.body == null ? '' : event.isBase64Encoded ? Buffer.from(event.body, 'base64').toString('utf8') : event.body;
      if (Buffer.byteLength(raw, 'utf8') > MAX_BODY_BYTES) throw new ApiError('payload_too_large', { detail: `The limit is ${MAX_BODY_BYTES} bytes.` });
      if (raw.trim() === '') {
        (event as { body: unknown }).body = {};
        return;
      }
      if (!jsonContentType.test(event.headers?.['content-type'] ?? '')) throw new ApiError('unsupported_media_type');
      try {
        (event as { body: unknown }).body = JSON.parse(raw);
      } catch {
        throw new ApiError('malformed_json');
      }
    },
  };
}
