import assert from 'node:assert/strict';
import { test } from 'node:test';
import { create, toBinary } from '@bufbuild/protobuf';
import { AnySchema } from '@bufbuild/protobuf/wkt';
import { FieldWriter, fieldSize } from '../../control-plane/src/envoy/field-writer.js';
import { encodeAny } from '../../control-plane/src/xds/wire.js';

function written(value: string): string {
  const length = Buffer.byteLength(value, 'utf8');
  const w = new FieldWriter(Buffer.alloc(fieldSize(length)));
  w.string(0x0a, value, length);
  assert.equal(w.pos, w.buf.byteLength);
  return w.buf.toString('hex');
}

// Expected bytes written out: tag 0x0a, the UTF-8 length, then the UTF-8 bytes.
const cases: Array<[string, string, string]> = [
  ['empty', '', '0a00'],
  ['ascii', 'svc~a', '0a05' + '7376637e61'],
  ['two-byte', 'é', '0a02' + 'c3a9'],
  ['ascii then three-byte', 'a€', '0a04' + '61e282ac'],
  ['surrogate pair', '😀', '0a04' + 'f09f9880'],
  ['127 code point', '\u007f', '0a01' + '7f'],
  ['128 code point', '\u0080', '0a02' + 'c280'],
];

for (const [what, value, hex] of cases) {
  test(`FieldWriter.string: ${what}`, () => assert.equal(written(value), hex));
}

test('FieldWriter.string: long ASCII and long non-ASCII strings are their UTF-8 bytes', () => {
  for (const value of ['x'.repeat(128), 'y'.repeat(129), 'z'.repeat(5000), `${'a'.repeat(200)}é`, `é${'b'.repeat(100)}`]) {
    const utf8 = Buffer.from(value, 'utf8');
    const expected = Buffer.concat([Buffer.of(0x0a), Buffer.from(varint(utf8.byteLength)), utf8]).toString('hex');
    assert.equal(written(value), expected, `length ${value.length}`);
  }
});

function varint(n: number): number[] {
  const out: number[] = [];
  while (n >= 0x80) {
    out.push((n & 0x7f) | 0x80);
    n >>>= 7;
  }
  out.push(n);
  return out;
}

test('encodeAny equals the generated Any encoding, for several type URLs in turn', () => {
  const typeUrls = ['type.googleapis.com/envoy.config.cluster.v3.Cluster', 'type.googleapis.com/x.Y', 'type.googleapis.com/é.Ü'];
  for (let round = 0; round < 2; round++) {
    for (const typeUrl of typeUrls) {
      for (const value of [Uint8Array.of(1, 2, 3), new Uint8Array(300).fill(9)]) {
        const expected = toBinary(AnySchema, create(AnySchema, { typeUrl, value }));
        assert.deepEqual(Buffer.from(encodeAny(typeUrl, value)), Buffer.from(expected), `${typeUrl} ${value.length}`);
      }
    }
  }
});

test('encodeAny of an empty message still writes the empty value field (the cache compares the tail)', () => {
  assert.equal(Buffer.from(encodeAny('t/x', new Uint8Array(0))).toString('hex'), '0a03' + '742f78' + '1200');
});
