// The state file's text is JSON.stringify's, byte for byte, though frozen objects' text is remembered.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { deepFreeze } from '../../control-plane/src/model/deep-freeze.js';
import { objectJson, recordJson, type MemberWriter } from '../../control-plane/src/sources/state-json.js';
import type { StoreContents } from '../../control-plane/src/sources/store-contents.js';
import { stateFileBytes } from '../../control-plane/src/sources/store-file.js';

/** The text `write` appends. */
const written = (write: (out: Buffer[]) => void) => {
  const out: Buffer[] = [];
  write(out);
  return Buffer.concat(out).toString('utf8');
};
const record = (r: Record<string, unknown>) => written((out) => recordJson(r, out));
const stateFileText = (c: StoreContents) => stateFileBytes(c).toString('utf8');
const meta = (v: string) => ({ resourceVersion: v, createdAt: '2030-01-01T00:00:00.000Z', updatedAt: '2030-01-01T00:00:00.000Z' });

function contents(lanes: Record<string, unknown>): StoreContents {
  return {
    state: {
      settings: { laneHeader: 'x-lane', servedByHeader: 'x-lane-served-by', entryService: 'orders' },
      services: { orders: { name: 'orders', protocol: 'http', port: 8080, endpoints: ['10.0.0.1:8080'] } },
      lanes: lanes as StoreContents['state']['lanes'],
    },
    meta: { revision: 7, settings: meta('1'), services: { orders: meta('2') }, lanes: Object.fromEntries(Object.keys(lanes).map((l) => [l, { ...meta('3'), ttl: '2h' }])) },
  };
}

describe('state file text', () => {
  test('records: the text JSON.stringify writes, in its key order', () => {
    const cases: Array<[string, Record<string, unknown>, string]> = [
      ['empty', {}, '{}'],
      ['insertion order', { b: { x: 1 }, a: { y: [1, 'two'] } }, '{"b":{"x":1},"a":{"y":[1,"two"]}}'],
      // Integer-like keys come first, ascending, whatever the insertion order.
      ['integer-like keys', { lane: {}, 10: { n: 10 }, 2: { n: 2 } }, '{"2":{"n":2},"10":{"n":10},"lane":{}}'],
      ['undefined and functions left out', { a: undefined, b: () => 1, c: { d: undefined, e: null } }, '{"c":{"e":null}}'],
      ['strings escaped', { 'qu"ote': { s: 'ü\n\u2028' } }, '{"qu\\"ote":{"s":"ü\\n\u2028"}}'],
      ['scalars', { a: 1, b: 'x', c: null, d: true }, '{"a":1,"b":"x","c":null,"d":true}'],
    ];
    for (const [name, input, expected] of cases) {
      assert.equal(record(input), expected, name);
      if (Object.values(input).some((v) => typeof v === 'function')) continue;
      const frozen = deepFreeze(structuredClone(input));
      assert.equal(record(frozen), expected, `${name}, frozen`);
      assert.equal(record(frozen), expected, `${name}, frozen, from remembered bytes`);
    }
  });

  test('objectJson: named members through their writer, others as JSON.stringify', () => {
    const object = { format: 2, lanes: { b: { n: 1 } }, meta: { revision: 3, lanes: { b: { v: '1' } } }, gone: undefined };
    const writers: Record<string, MemberWriter> = { lanes: recordJson, meta: (m: Record<string, unknown>, out: Buffer[]) => objectJson(m, { lanes: recordJson }, out) };
    assert.equal(written((out) => objectJson(object, writers, out)), '{"format":2,"lanes":{"b":{"n":1}},"meta":{"revision":3,"lanes":{"b":{"v":"1"}}}}');
  });

  test('a frozen object moved to another key is written under the new key', () => {
    const value = deepFreeze({ n: 1 });
    assert.equal(record({ a: value }), '{"a":{"n":1}}');
    assert.equal(record({ b: value }), '{"b":{"n":1}}');
  });

  test('the whole file: equal to JSON.stringify, before and after a write that replaces one lane', () => {
    const lanes = deepFreeze({ 'feature-x': { name: 'feature-x', services: { orders: ['10.1.0.1:8080'] } }, 'feature-y': { name: 'feature-y', fallback: 'feature-x', services: {} } });
    const before = contents(lanes);
    const plain = (c: StoreContents) => `${JSON.stringify({ format: 3, journal: 0, ...c.state, meta: c.meta })}\n`;
    assert.equal(stateFileText(before), plain(before));
    // A write replaces the lane object; the one it did not touch keeps its remembered bytes.
    const after = contents({ ...lanes, 'feature-y': deepFreeze({ name: 'feature-y', services: { orders: ['10.1.0.2:8080'] } }) });
    assert.equal(stateFileText(after), plain(after));
    assert.match(stateFileText(after), /"feature-y":\{"name":"feature-y","services":\{"orders":\["10\.1\.0\.2:8080"\]\}\}/);
  });

  test('an unfrozen object is written as it is now, not as it was', () => {
    const lane: { name: string; services: Record<string, string[]> } = { name: 'l', services: {} };
    assert.equal(record({ l: lane }), '{"l":{"name":"l","services":{}}}');
    lane.services.orders = ['10.0.0.9:1'];
    assert.equal(record({ l: lane }), '{"l":{"name":"l","services":{"orders":["10.0.0.9:1"]}}}');
  });
});
