// deploy/capture/laneway-capture.sh without root: --dry-run prints the iptables commands it would
// run, so the rules (and the refusals of bad input) are checked here; test/e2e/capture.test.ts runs
// them for real in a network namespace.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import { test } from 'node:test';

const SCRIPT = join(resolve(import.meta.dirname, '../..'), 'deploy/capture/laneway-capture.sh');

function run(args: string[], env: Record<string, string> = {}) {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('LANEWAY_')));
  const out = spawnSync('sh', [SCRIPT, ...args], { encoding: 'utf8', env: { ...clean, ...env } });
  return { status: out.status, stdout: out.stdout, stderr: out.stderr };
}

test('install with defaults: uid 1337 and 127.0.0.1 skipped, the rest to 15006', () => {
  const out = run(['--dry-run']);
  assert.equal(out.status, 0, out.stderr);
  assert.equal(out.stdout, [
    'iptables -t nat -N LANEWAY_OUTPUT',
    'iptables -t nat -A LANEWAY_OUTPUT -m owner --uid-owner 1337 -j RETURN',
    'iptables -t nat -A LANEWAY_OUTPUT -d 127.0.0.1/32 -j RETURN',
    'iptables -t nat -A LANEWAY_OUTPUT -o lo ! -d 127.0.0.0/8 -j RETURN',
    'iptables -t nat -A LANEWAY_OUTPUT -p tcp -j REDIRECT --to-ports 15006',
    'iptables -t nat -A OUTPUT -p tcp -j LANEWAY_OUTPUT',
    'laneway-capture: outbound TCP -> :15006 (except uid 1337, 127.0.0.1, ports [], CIDRs [])',
    '',
  ].join('\n'));
});

test('port, uid, excluded ports and CIDRs from the environment (blanks around items ignored)', () => {
  const out = run(['--dry-run'], { LANEWAY_CAPTURE_PORT: '16006', LANEWAY_PROXY_UID: '101', LANEWAY_EXCLUDE_PORTS: '3306, 5432', LANEWAY_EXCLUDE_CIDRS: '10.0.0.0/8,169.254.169.254/32' });
  assert.equal(out.status, 0, out.stderr);
  assert.deepEqual(out.stdout.split('\n').filter((l) => l.includes('RETURN') || l.includes('REDIRECT')), [
    'iptables -t nat -A LANEWAY_OUTPUT -m owner --uid-owner 101 -j RETURN',
    'iptables -t nat -A LANEWAY_OUTPUT -d 127.0.0.1/32 -j RETURN',
    'iptables -t nat -A LANEWAY_OUTPUT -o lo ! -d 127.0.0.0/8 -j RETURN',
    'iptables -t nat -A LANEWAY_OUTPUT -p tcp --dport 3306 -j RETURN',
    'iptables -t nat -A LANEWAY_OUTPUT -p tcp --dport 5432 -j RETURN',
    'iptables -t nat -A LANEWAY_OUTPUT -d 10.0.0.0/8 -j RETURN',
    'iptables -t nat -A LANEWAY_OUTPUT -d 169.254.169.254/32 -j RETURN',
    'iptables -t nat -A LANEWAY_OUTPUT -p tcp -j REDIRECT --to-ports 16006',
  ]);
});

test('--clean removes the jump, then the chain', () => {
  const out = run(['--clean', '--dry-run']);
  assert.equal(out.status, 0, out.stderr);
  assert.equal(out.stdout, 'iptables -t nat -D OUTPUT -p tcp -j LANEWAY_OUTPUT\niptables -t nat -F LANEWAY_OUTPUT\niptables -t nat -X LANEWAY_OUTPUT\n');
});

test('bad values stop it with status 2, naming the variable', () => {
  const cases: Array<[Record<string, string>, string]> = [
    [{ LANEWAY_CAPTURE_PORT: '0' }, 'laneway-capture: LANEWAY_CAPTURE_PORT must be a port (1-65535), got "0"\n'],
    [{ LANEWAY_PROXY_UID: 'envoy' }, 'laneway-capture: LANEWAY_PROXY_UID must be a numeric uid, got "envoy"\n'],
    [{ LANEWAY_EXCLUDE_PORTS: '80,http' }, 'laneway-capture: LANEWAY_EXCLUDE_PORTS: "http" is not a port (1-65535)\n'],
    [{ LANEWAY_EXCLUDE_CIDRS: '10.0.0.0/33' }, 'laneway-capture: LANEWAY_EXCLUDE_CIDRS: "10.0.0.0/33" is not an IPv4 CIDR such as 10.0.0.0/8\n'],
    [{ LANEWAY_EXCLUDE_CIDRS: '10.0.0.0/8; reboot' }, 'laneway-capture: LANEWAY_EXCLUDE_CIDRS: "10.0.0.0/8; reboot" is not an IPv4 CIDR such as 10.0.0.0/8\n'],
  ];
  for (const [env, message] of cases) {
    const out = run(['--dry-run'], env);
    assert.equal(out.status, 2, JSON.stringify(env));
    assert.equal(out.stderr, message);
    assert.equal(out.stdout, '');
  }
  assert.equal(run(['--bogus']).status, 2);
});
