// What no route takes, answered in the API's one error shape: 405 with Allow (OPTIONS: 204), 404,
// Fastify's 414 and malformed URL, and Node's refusal of a request that is not HTTP.
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { connect } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { startStoreApi, type StoreApi } from '../support/store-api.js';

interface Answer {
  status: number;
  allow: string | undefined;
  type: string | undefined;
  body: unknown;
}

describe('REST API: answers before and beside the routes', () => {
  let api: StoreApi;
  before(async () => (api = await startStoreApi('api-route-errors')));
  after(() => api.close());

  // node:http, not fetch: fetch refuses TRACE.
  function call(method: string, path: string): Promise<Answer> {
    return new Promise((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port: api.port, method, path }, (res) => {
        let text = '';
        res.on('data', (chunk: Buffer) => (text += chunk.toString()));
        res.on('end', () => resolve({ status: res.statusCode!, allow: res.headers.allow, type: res.headers['content-type'], body: text ? JSON.parse(text) : undefined }));
      });
      req.on('error', reject);
      req.end();
    });
  }

  test('a known path asked with another method is 405 naming the allowed ones; OPTIONS answers them', async () => {
    assert.deepEqual(await call('TRACE', '/healthz'), {
      status: 405, allow: 'GET, HEAD, OPTIONS', type: 'application/json; charset=utf-8',
      body: { error: 'method_not_allowed', message: 'TRACE is not allowed on /healthz; allowed: GET, HEAD, OPTIONS', details: [{ path: 'request/method', reason: 'must be one of GET, HEAD, OPTIONS' }] },
    });
    assert.deepEqual(await call('POST', '/v1/lanes/feature-x'), {
      status: 405, allow: 'DELETE, GET, HEAD, OPTIONS, PATCH, PUT', type: 'application/json; charset=utf-8',
      body: { error: 'method_not_allowed', message: 'POST is not allowed on /v1/lanes/feature-x; allowed: DELETE, GET, HEAD, OPTIONS, PATCH, PUT', details: [{ path: 'request/method', reason: 'must be one of DELETE, GET, HEAD, OPTIONS, PATCH, PUT' }] },
    });
    assert.deepEqual(await call('OPTIONS', '/v1/lanes'), { status: 204, allow: 'GET, HEAD, OPTIONS, POST', type: undefined, body: undefined });
    assert.equal((await call('QUERY', '/v1/settings')).status, 405);
  });

  test('an unknown path is 404', async () => {
    assert.deepEqual(await call('TRACE', '/v1/nothing'), {
      status: 404, allow: undefined, type: 'application/json; charset=utf-8',
      body: { error: 'not_found', message: 'no route TRACE /v1/nothing', details: [] },
    });
  });

  test('a path parameter over 1024 characters is 414, a malformed URL 400', async () => {
    assert.deepEqual(await call('GET', `/v1/lanes/${'a'.repeat(1025)}`), {
      status: 414, allow: undefined, type: 'application/json; charset=utf-8',
      body: { error: 'uri_too_long', message: 'a path parameter is longer than 1024 characters', details: [{ path: 'request/url', reason: 'path parameters must be at most 1024 characters' }] },
    });
    const long = await call('GET', `/v1/lanes/${'a'.repeat(100)}`);
    assert.deepEqual([long.status, (long.body as { details: Array<{ reason: string }> }).details[0]!.reason], [400, 'must be at most 63 characters, got 100']);
    assert.deepEqual(await call('GET', '/v1/lanes/%zz'), {
      status: 400, allow: undefined, type: 'application/json; charset=utf-8',
      body: { error: 'bad_request', message: 'the URL is malformed (an invalid percent-encoding)', details: [{ path: 'request/url', reason: 'is not a valid URL' }] },
    });
  });

  test('a request that is not HTTP is 400 in the same shape, and the connection closes', async () => {
    const answer = await new Promise<string>((resolve) => {
      const socket = connect(api.port, '127.0.0.1', () => socket.write('GET / HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n'));
      let text = '';
      socket.on('data', (chunk) => (text += chunk.toString()));
      socket.on('close', () => resolve(text));
    });
    const [head, body] = answer.split('\r\n\r\n');
    assert.equal(head!.split('\r\n')[0], 'HTTP/1.1 400 Bad Request');
    assert.deepEqual(JSON.parse(body!), { error: 'bad_request', message: 'the request is not valid HTTP', details: [{ path: 'request', reason: 'is not valid HTTP/1.1' }] });
  });
});
