// The `laneway` command as a real child process against a real API server: tables for
// people, JSON/YAML for scripts, exit codes scripts can test, the API's messages and no stacks.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { pino } from 'pino';
import { parse } from 'yaml';
import { freePort } from '../../deploy/local/processes.js';
import { buildApi } from '../../control-plane/src/api/server.js';
import { TokenRegistry } from '../../control-plane/src/api/tokens.js';
import { FileStore } from '../../control-plane/src/sources/store.js';

// The CLI's sources through tsx, so the test needs no build; test/e2e/package.test.ts runs
// bin/laneway.js (the compiled CLI) from the packed package.
const CLI = ['--import', 'tsx', join(import.meta.dirname, '../../control-plane/src/cli/laneway.ts')];
const TOKEN = 'cli-admin-token-0123456789';
const root = mkdtempSync(join(tmpdir(), 'laneway-cli-'));

interface Run { code: number | null; stdout: string; stderr: string }

function laneway(args: string[], env: Record<string, string> = {}, stdin?: string): Promise<Run> {
  const child = spawn(process.execPath, [...CLI, ...args], { env: { PATH: process.env.PATH, HOME: root, ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c));
  child.stderr.on('data', (c: Buffer) => (stderr += c));
  child.stdin.end(stdin ?? '');
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
}

const DEFINITIONS = `kind: Service
name: orders
protocol: http
port: 8080
endpoints: [10.0.0.1:8080]
---
kind: Service
name: payments
protocol: grpc
port: 9090
---
kind: Lane
name: feature-y
fallback: feature-x
services:
  payments: [10.0.2.1:9090]
---
kind: Lane
name: feature-x
owner: ana
ttl: 2h
services:
  orders: [10.0.1.1:8080]
---
kind: Settings
entryService: orders
`;

describe('laneway CLI', () => {
  const servers: Array<{ close(): Promise<unknown> }> = [];
  let open: Record<string, string>;
  let locked: string;

  async function start(name: string, tokens?: TokenRegistry): Promise<string> {
    const store = await FileStore.open(join(root, name));
    const app = buildApi({ store, getState: () => store.state(), ready: () => true, logger: pino({ level: 'silent' }), ...(tokens && { tokens }) });
    await app.listen({ host: '127.0.0.1', port: 0 });
    servers.push(app);
    return `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
  }

  before(async () => {
    open = { LANEWAY_SERVER: await start('open') };
    locked = await start('locked', new TokenRegistry([{ name: 'ci', role: 'admin', token: TOKEN }]));
    writeFileSync(join(root, 'defs.yaml'), DEFINITIONS);
  });

  after(async () => {
    for (const server of servers) await server.close();
    rmSync(root, { recursive: true, force: true });
  });

  test('apply -f creates everything in an order the server accepts; applying again changes nothing', async () => {
    const first = await laneway(['apply', '-f', join(root, 'defs.yaml')], open);
    assert.deepEqual(first, { code: 0, stderr: '', stdout: 'service/orders created\nservice/payments created\nlane/feature-x created\nlane/feature-y created\nsettings configured\n' });
    const again = await laneway(['apply', '-f', '-', '-o', 'json'], open, DEFINITIONS);
    assert.equal(again.code, 0);
    assert.deepEqual(JSON.parse(again.stdout).items.map((i: { outcome: string }) => i.outcome), ['unchanged', 'unchanged', 'unchanged', 'unchanged', 'unchanged']);
  });

  test('lane list is a table with time left; -o json and -o yaml give the API objects', async () => {
    const table = await laneway(['lane', 'list'], open);
    assert.equal(table.code, 0);
    const [header, ...rows] = table.stdout.trimEnd().split('\n');
    assert.deepEqual(header!.split(/\s{2,}/), ['NAME', 'FALLBACK', 'SERVICES', 'OWNER', 'TIME LEFT']);
    assert.deepEqual(rows.map((r) => r.split(/\s{2,}/).slice(0, 4)), [['feature-x', 'stable', 'orders', 'ana'], ['feature-y', 'feature-x', 'payments', '-']]);
    assert.match(rows[0]!, /1h59m\d+s$|2h$/);
    const json = JSON.parse((await laneway(['lane', 'list', '--owner', 'ana', '-o', 'json'], open)).stdout);
    assert.deepEqual(json.items.map((l: { name: string }) => l.name), ['feature-x']);
    const yaml = parse((await laneway(['service', 'get', 'payments', '--output=yaml'], open)).stdout);
    assert.deepEqual([yaml.name, yaml.protocol, yaml.port, yaml.endpoints], ['payments', 'grpc', 9090, []]);
  });

  test('create, add-service, renew and delete a lane', async () => {
    const created = await laneway(['lane', 'create', '--prefix', 'ci-', '--ttl', '30m', '--label', 'team=pay', '--service', 'orders=10.0.3.1:8080', '-o', 'json'], open);
    assert.equal(created.code, 0, created.stderr);
    const lane = JSON.parse(created.stdout);
    assert.match(lane.name, /^ci-[a-z0-9]{5}$/);
    assert.deepEqual([lane.ttl, lane.labels, lane.services], ['30m', { team: 'pay' }, { orders: ['10.0.3.1:8080'] }]);
    const added = await laneway(['lane', 'add-service', lane.name, 'payments', '--endpoint', '10.0.3.2:9090', '--endpoint', '10.0.3.3:9090'], open);
    assert.equal(added.code, 0, added.stderr);
    assert.match(added.stdout, new RegExp(`^lane/${lane.name} now overrides payments\\n`));
    assert.match(added.stdout, /services\/payments\s+10\.0\.3\.2:9090,10\.0\.3\.3:9090/);
    const renewed = await laneway(['lane', 'renew', lane.name, '--ttl', '1h', '-o', 'json'], open);
    assert.equal(JSON.parse(renewed.stdout).ttl, '1h');
    assert.deepEqual(await laneway(['lane', 'delete', lane.name], open), { code: 0, stdout: `lane/${lane.name} deleted\n`, stderr: '' });
  });

  test('failures print the API message and exit with a code scripts can test', async () => {
    assert.deepEqual(await laneway(['lane', 'get', 'nope'], open), { code: 4, stdout: '', stderr: 'laneway: lane "nope" does not exist\n' });
    assert.deepEqual(await laneway(['lane', 'delete', 'feature-x'], open), { code: 5, stdout: '', stderr: 'laneway: lane "feature-x" is the fallback of lane "feature-y"; change their fallback first\n' });
    assert.deepEqual(await laneway(['lane', 'delete', 'feature-y', '--if-match', '1'], open).then((r) => r.code), 5);
    const invalid = await laneway(['lane', 'create', 'bad', '--service', 'orders=nowhere', '--fallback', 'ghost'], open);
    assert.deepEqual(invalid, { code: 7, stdout: '', stderr: 'laneway: lanes/bad/services/orders/0: "nowhere" is not host:port (host: IPv4, [IPv6] or DNS name; port 1-65535)\n' });
    const closedPort = await freePort();
    const unreachable = await laneway(['lane', 'list', '--server', `http://127.0.0.1:${closedPort}`], open);
    assert.deepEqual([unreachable.code, unreachable.stderr], [3, `laneway: cannot reach the control plane at http://127.0.0.1:${closedPort}: ECONNREFUSED\n`]);
    const usage = await laneway(['lane', 'add-service', 'feature-x'], open);
    assert.equal(usage.code, 2);
    assert.match(usage.stderr, /^laneway lane: missing SERVICE\n\nusage: laneway lane <command>/);
    assert.equal((await laneway(['nonsense'], open)).code, 2);
    assert.equal((await laneway(['lane', 'list', '-o', 'xml'], open)).code, 2);
    for (const run of [invalid, unreachable, usage]) assert.doesNotMatch(run.stderr, /\n\s+at /, 'no stack trace');
  });

  test('the token comes from a flag, the environment or a config file; without one: exit 6', async () => {
    assert.deepEqual(await laneway(['service', 'list', '--server', locked]), { code: 6, stdout: '', stderr: 'laneway: this API needs a token: send "Authorization: Bearer <token>"\n' });
    assert.equal((await laneway(['service', 'list', '--server', locked, '--token', TOKEN])).code, 0);
    assert.equal((await laneway(['service', 'list'], { LANEWAY_SERVER: locked, LANEWAY_TOKEN: TOKEN })).code, 0);
    const config = join(root, 'laneway.yaml');
    writeFileSync(config, `server: ${locked}\ntoken: ${TOKEN}\n`);
    const fromFile = await laneway(['service', 'list', '--config', config]);
    assert.deepEqual([fromFile.code, fromFile.stdout], [0, 'NAME   PROTOCOL   PORT   ENDPOINTS\n']);
    writeFileSync(config, 'server: 1\ncolour: red\n');
    assert.deepEqual(await laneway(['service', 'list'], { LANEWAY_CONFIG: config }), { code: 2, stdout: '', stderr: `laneway: config file ${config}: unknown field colour (allowed: server, token, ca)\n` });
    const missing = join(root, 'no-such-ca.pem');
    assert.deepEqual(await laneway(['service', 'list', '--ca', missing], open), { code: 2, stdout: '', stderr: `laneway: --ca ${missing}: ENOENT: no such file or directory, open '${missing}'\n` });
    writeFileSync(config, `ca: ${missing}\n`);
    assert.equal((await laneway(['service', 'list'], { ...open, LANEWAY_CONFIG: config })).stderr, `laneway: --ca ${missing}: ENOENT: no such file or directory, open '${missing}'\n`);
  });

  test('service apply takes only services', async () => {
    const applied = await laneway(['service', 'apply', '-f', '-'], open, 'kind: Service\nname: carts\nprotocol: http\nport: 80\n');
    assert.deepEqual(applied, { code: 0, stdout: 'service/carts created\n', stderr: '' });
    const refused = await laneway(['service', 'apply', '-f', '-'], open, 'kind: Lane\nname: l\n');
    assert.equal(refused.code, 2);
    assert.match(refused.stderr, /^laneway service: lane\/l: service apply takes only kind: Service/);
  });
});
