import { request } from 'node:http';

/** A GET with a Host header of our choosing, which fetch() would not let us set. */
export function getWithHost(url: string, host: string): Promise<{ status: number; contentType: string | undefined; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers: { Host: host } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode!, contentType: res.headers['content-type'], body }));
    });
    req.on('error', reject);
    req.end();
  });
}
