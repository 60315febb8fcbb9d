import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { Hash } from '@smithy/hash-node';
import { SignatureV4 } from '@smithy/signature-v4';

/**
 * What API Gateway's AWS_IAM authorization does in front of /admin, for the local stack: the
 * request must carry a SigV4 signature (service execute-api) made with the local admin key pair,
 * at most 5 minutes old, over exactly the headers, query and body that arrived. The check signs
 * the request again with the SDK's own signer (@smithy/signature-v4) and compares in constant time.
 */
export const MAX_SIGNATURE_AGE_MS = 5 * 60 * 1000;
export const LOCAL_ADMIN_ARN = 'arn:aws:iam::000000000000:user/local-admin';

export interface AdminKeyPair {
  accessKeyId: string;
  secretAccessKey: string;
}

/** The pair from LOCAL_ADMIN_ACCESS_KEY_ID / LOCAL_ADMIN_SECRET_ACCESS_KEY, or a fresh one. */
export function localAdminKeyPair(env: NodeJS.ProcessEnv = process.env): AdminKeyPair {
  const accessKeyId = env.LOCAL_ADMIN_ACCESS_KEY_ID;
  const secretAccessKey = env.LOCAL_ADMIN_SECRET_ACCESS_KEY;
  if (accessKeyId && secretAccessKey) return { accessKeyId, secretAccessKey };
  return { accessKeyId: `AKLOCAL${randomBytes(7).toString('hex').toUpperCase()}`, secretAccessKey: randomBytes(30).toString('base64url') };
}

export interface SignedRequest {
  method: string;
  /** Host header as sent (with port). */
  host: string;
  path: string;
  /** Decoded query parameters. */
  query: Record<string, string | string[]>;
  /** Header names lower-cased. */
  headers: Record<string, string>;
  body: Buffer;
}

const AUTHORIZATION = /^AWS4-HMAC-SHA256 Credential=([^/\s]+)\/(\d{8})\/([a-z0-9-]+)\/([a-z0-9-]+)\/aws4_request, ?SignedHeaders=([a-z0-9;-]+), ?Signature=([0-9a-f]{64})$/;

/** "20261203T061340Z" as epoch milliseconds, or NaN. */
function amzDate(value: string | undefined): number {
  const m = value && /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value);
  return m ? Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!) : Number.NaN;
}

/** Whether `request` carries a valid, fresh SigV4 signature of `keys` for execute-api in `region`. */
export async function verifySigV4(request: SignedRequest, keys: AdminKeyPair, region: string, now = Date.now()): Promise<boolean> {
  const match = AUTHORIZATION.exec(request.headers.authorization ?? '');
  if (!match) return false;
  const [, accessKeyId, scopeDate, scopeRegion, service, signedHeaderList, signature] = match as unknown as string[];
  if (accessKeyId !== keys.accessKeyId || scopeRegion !== region || service !== 'execute-api') return false;
  const signedAt = amzDate(request.headers['x-amz-date']);
  if (Number.isNaN(signedAt) || Math.abs(now - signedAt) > MAX_SIGNATURE_AGE_MS) return false;
  if (request.headers['x-amz-date']!.slice(0, 8) !== scopeDate) return false;
  const signedHeaders = signedHeaderList!.split(';');
  if (!signedHeaders.includes('host') || !signedHeaders.includes('x-amz-date')) return false;

  const headers: Record<string, string> = {};
  for (const name of signedHeaders) {
    const value = name === 'host' ? request.host : request.headers[name];
    if (value === undefined) return false;
    headers[name] = value;
  }
  // The signer trusts a payload hash header as given: the hash of what arrived stands in for it,
  // so a body changed after signing changes the signature.
  if ('x-amz-content-sha256' in headers) headers['x-amz-content-sha256'] = createHash('sha256').update(request.body).digest('hex');
  const signer = new SignatureV4({ credentials: keys, region, service: 'execute-api', sha256: Hash.bind(null, 'sha256') });
  const expected = await signer.sign(
    { method: request.method, protocol: 'http:', hostname: request.host.replace(/:\d+$/, ''), path: request.path, query: request.query, headers, body: request.body.length ? request.body : undefined },
    { signingDate: new Date(signedAt) },
  );
  const expectedSignature = /Signature=([0-9a-f]{64})/.exec(String(expected.headers.authorization ?? expected.headers.Authorization))?.[1];
  return expectedSignature !== undefined && timingSafeEqual(Buffer.from(expectedSignature), Buffer.from(signature!));
}
