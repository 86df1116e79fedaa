// The HTTPS endpoint the API server calls (MutatingWebhookConfiguration laneway-sidecar-injector):
//   POST /inject                     pods in namespaces without laneway.dev/inject=enabled
//   POST /inject/namespace-enabled   pods in namespaces with it
// A bad body is a 400 with the reason, an oversized one a 413; neither reaches the injection code,
// and nothing a client sends can throw past the handler. Answers are computed synchronously.
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { answerAdmission, type AdmissionOutcome } from './admission.js';
import type { InjectionMetrics } from './metrics.js';
import type { ServingCertificates } from './serving-cert.js';
import type { InjectionSettings } from './settings.js';

/** A Pod's AdmissionReview stays well below this (etcd's object limit is 1.5 MiB). */
export const MAX_BODY_BYTES = 3 * 1024 * 1024;
export const INJECT_PATH = '/inject';
export const NAMESPACE_ENABLED_PATH = '/inject/namespace-enabled';

export interface WebhookServerOptions {
  host: string;
  port: number;
  settings: InjectionSettings;
  certificates: ServingCertificates;
  metrics: InjectionMetrics;
  logger: Logger;
}

export interface RunningWebhook {
  port: number;
  close(): Promise<void>;
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

/** The body, or the status to refuse it with. */
function readBody(req: IncomingMessage): Promise<Buffer | 413> {
  return new Promise((resolve, reject) => {
    if (Number(req.headers['content-length'] ?? 0) > MAX_BODY_BYTES) return resolve(413);
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        req.removeAllListeners('data');
        req.resume();
        resolve(413);
      } else chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function logOutcome(logger: Logger, outcome: AdmissionOutcome): void {
  if (outcome.result === 'injected') logger.info(outcome, 'sidecar injected');
  else if (outcome.result === 'error') logger.warn(outcome, 'admission review refused');
  else if (outcome.reason === 'not-a-pod-create') logger.debug(outcome, 'admission review skipped');
  else logger.info(outcome, `sidecar not injected: ${outcome.reason}`);
}

async function handle(req: IncomingMessage, res: ServerResponse, opts: WebhookServerOptions): Promise<void> {
  const path = (req.url ?? '').split('?')[0];
  if (path !== INJECT_PATH && path !== NAMESPACE_ENABLED_PATH) return send(res, 404, { error: 'not_found', message: `POST ${INJECT_PATH} or ${NAMESPACE_ENABLED_PATH}` });
  if (req.method !== 'POST') return send(res, 405, { error: 'method_not_allowed', message: 'POST an AdmissionReview' });
  const body = await readBody(req);
  if (body === 413) {
    const message = `the body is over ${MAX_BODY_BYTES} bytes`;
    opts.metrics.count({ result: 'error', reason: 'bad-request', message });
    opts.logger.warn({ message }, 'admission review refused');
    return send(res, 413, { error: 'payload_too_large', message });
  }
  let review: unknown;
  try {
    review = JSON.parse(body.toString('utf8'));
  } catch (err) {
    review = new SyntaxError(`the body is not JSON: ${(err as Error).message}`);
  }
  const answer = review instanceof SyntaxError
    ? { status: 400, body: { error: 'bad_request', message: review.message }, outcome: { result: 'error', reason: 'bad-request', message: review.message } as const }
    : answerAdmission(review, path === NAMESPACE_ENABLED_PATH, opts.settings);
  opts.metrics.count(answer.outcome);
  logOutcome(opts.logger, answer.outcome);
  send(res, answer.status, answer.body);
}

export async function startWebhookServer(opts: WebhookServerOptions): Promise<RunningWebhook> {
  const first = await opts.certificates.start();
  const server: Server = createServer({ cert: first.cert, key: first.key, minVersion: 'TLSv1.2' }, (req, res) => {
    handle(req, res, opts).catch((err: Error) => {
      opts.logger.error({ err }, 'webhook handler failed');
      if (!res.headersSent) send(res, 500, { error: 'internal', message: 'the webhook failed; see its log' });
      else res.destroy();
    });
  });
  // The API server waits timeoutSeconds at most; a slow client must not hold a socket for longer.
  server.requestTimeout = 10_000;
  server.headersTimeout = 5_000;
  opts.certificates.onChange((pair) => server.setSecureContext({ cert: pair.cert, key: pair.key, minVersion: 'TLSv1.2' }));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => resolve());
  });
  const port = (server.address() as { port: number }).port;
  opts.logger.info({ port, host: opts.host }, 'sidecar injection webhook listening (HTTPS)');
  return {
    port,
    async close() {
      opts.certificates.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
