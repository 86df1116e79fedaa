// fetch() with one more trusted CA (--ca). Node 20's fetch takes no CA of its own (only
// NODE_EXTRA_CA_CERTS, read at process start), so a server signed by a private CA is asked with
// node:https, trusting that CA beside the system's roots, and answered as a fetch Response.
import { request } from 'node:https';
import { rootCertificates } from 'node:tls';

// Statuses whose Response must have no body.
const NO_BODY = new Set([101, 204, 205, 304]);

export function fetchTrustingCa(url: string, init: { method: string; headers: Record<string, string>; body?: string; signal?: AbortSignal }, ca: Buffer): Promise<Response> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: init.method, headers: init.headers, ca: [...rootCertificates, ca.toString('utf8')], ...(init.signal && { signal: init.signal }) }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('error', reject);
      res.on('end', () => {
        const headers = new Headers();
        for (const [name, value] of Object.entries(res.headers)) {
          for (const one of Array.isArray(value) ? value : value === undefined ? [] : [value]) headers.append(name, one);
        }
        const status = res.statusCode ?? 0;
        resolve(new Response(NO_BODY.has(status) ? null : Buffer.concat(chunks), { status, headers }));
      });
    });
    // fetch() reports a failure's reason as err.cause; so does this.
    req.on('error', (err) => reject(Object.assign(new Error(`request to ${url} failed`), { cause: err })));
    req.end(init.body);
  });
}
