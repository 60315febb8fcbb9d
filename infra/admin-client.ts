import { Hash } from '@smithy/hash-node';
import { SignatureV4 } from '@smithy/signature-v4';

/**
 * A SigV4-signed call of the admin API (service execute-api), as `npm run admin` and the tests
 * make it: the same signer the AWS SDK uses, with whatever credentials it is given.
 */
export interface AdminCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

export async function signedFetch(
  apiUrl: string,
  request: { method: string; path: string; query?: Record<string, string>; body?: unknown },
  credentials: AdminCredentials,
  region: string,
): Promise<Response> {
  const url = new URL(apiUrl.replace(/\/$/, '') + request.path);
  for (const [name, value] of Object.entries(request.query ?? {})) url.searchParams.set(name, value);
  const body = request.body === undefined ? undefined : JSON.stringify(request.body);
  const signer = new SignatureV4({ credentials, region, service: 'execute-api', sha256: Hash.bind(null, 'sha256') });
  const signed = await signer.sign({
    method: request.method,
    protocol: url.protocol,
    hostname: url.hostname,
    port: url.port ? Number(url.port) : undefined,
    path: url.pathname,
    query: Object.fromEntries(url.searchParams),
    headers: { host: url.host, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body,
  });
  return fetch(url, { method: request.method, headers: signed.headers as Record<string, string>, body });
}
