// Random init shapes for any message schema, the way the translator writes them (plain objects,
// absent fields at their defaults, wrappers unwrapped, Struct as JSON, oneofs as {case, value}),
// with the values encoders get wrong: zeros, -0, NaN, negative and 64-bit integers, unicode and
// long strings, integer-like map keys. Seeded, so a failing case repeats.
import { create, ScalarType, type DescField, type DescMessage } from '@bufbuild/protobuf';
import { Random } from './seeded-random.js';

export { Random } from './seeded-random.js';

const STRINGS = ['', 'a', 'orders', '0', 'héllo', '日本語', '😀', '\ud800', 'x'.repeat(127), 'y'.repeat(128), 'é'.repeat(70), 'z'.repeat(20000)];
const MAP_KEYS = ['', 'a', 'b', '42', '0', '-1', '01', '4294967296', 'ключ', 'envoy.lb'];
const INT32 = [0, 1, -1, 127, 128, 300, 16384, 2147483647, -2147483648, -129];
const UINT32 = [0, 1, 127, 128, 16383, 16384, 2097152, 268435456, 4294967295];
const INT64 = [0n, 1n, -1n, 127n, 128n, 2147483647n, 2147483648n, 4294967296n, 9223372036854775807n, -9223372036854775808n, -300n];
const UINT64 = [0n, 1n, 128n, 2147483648n, 4294967295n, 4294967296n, 18446744073709551615n];
const DOUBLES = [0, -0, 1, -1.5, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 1e300, 5e-324, 0.1];

function randomString(random: Random): string {
  if (random.chance(0.7)) return random.pick(STRINGS);
  let s = '';
  for (let n = random.int(40); n > 0; n--) s += String.fromCharCode(random.chance(0.9) ? 32 + random.int(95) : random.int(0xffff));
  return s;
}

function randomBytes(random: Random): Uint8Array | number[] {
  const length = random.pick([0, 1, 5, 127, 128, 300]);
  const bytes = Array.from({ length }, () => random.int(256));
  return random.chance(0.3) ? bytes : new Uint8Array(bytes);
}

function randomScalar(random: Random, type: ScalarType, longAsString: boolean): unknown {
  switch (type) {
    case ScalarType.STRING: return randomString(random);
    case ScalarType.BOOL: return random.chance(0.5);
    case ScalarType.BYTES: return randomBytes(random);
    case ScalarType.DOUBLE:
    case ScalarType.FLOAT: return random.chance(0.6) ? random.pick(DOUBLES) : (random.next() - 0.5) * 1e6;
    case ScalarType.INT32:
    case ScalarType.SINT32:
    case ScalarType.SFIXED32: return random.chance(0.7) ? random.pick(INT32) : random.int(2 ** 32) - 2 ** 31;
    case ScalarType.UINT32:
    case ScalarType.FIXED32: return random.chance(0.7) ? random.pick(UINT32) : random.int(2 ** 32);
    case ScalarType.UINT64:
    case ScalarType.FIXED64: {
      const value = random.pick(UINT64);
      return longAsString ? value.toString() : value;
    }
    default: {
      const value = random.pick(INT64);
      return longAsString ? value.toString() : value;
    }
  }
}

function randomEnum(random: Random, field: DescField): number {
  const values = field.enum!.values.map((v) => v.number);
  return random.chance(0.85) ? random.pick(values) : random.pick([0, 99, -1]);
}

/** A JSON value (what a google.protobuf.Struct field holds). */
export function randomJson(random: Random, depth: number): unknown {
  const kind = random.int(depth > 2 ? 4 : 6);
  switch (kind) {
    case 0: return random.chance(0.5) ? random.pick(DOUBLES.filter((d) => Number.isFinite(d))) : random.int(1000);
    case 1: return randomString(random);
    case 2: return random.chance(0.5);
    case 3: return null;
    case 4: return Array.from({ length: random.int(3) }, () => randomJson(random, depth + 1));
    default: return randomJsonObject(random, depth + 1);
  }
}

function randomJsonObject(random: Random, depth: number): Record<string, unknown> {
  const object: Record<string, unknown> = {};
  for (let n = random.int(4); n > 0; n--) object[random.pick(MAP_KEYS)] = randomJson(random, depth);
  return object;
}

const isStructJson = (field: DescField) => field.message?.typeName === 'google.protobuf.Struct' && field.parent.typeName !== 'google.protobuf.Value';
const WRAPPER = /^google\.protobuf\.(Double|Float|Int64|UInt64|Int32|UInt32|Bool|String|Bytes)Value$/;

/** A value for one message-typed slot (singular, list element, map value or oneof case). */
function randomMessageValue(random: Random, field: DescField, depth: number, unwrapped: boolean): unknown {
  const desc = field.message!;
  if (isStructJson(field)) return randomJsonObject(random, 0);
  if (unwrapped && WRAPPER.test(desc.typeName)) return randomScalar(random, desc.fields[0]!.scalar!, false);
  const init = randomInit(random, desc, depth + 1);
  // A message already created is a valid init too (create() takes it as it is).
  return random.chance(0.15) ? create(desc, init as never) : init;
}

function randomValue(random: Random, field: DescField, depth: number, slot: 'singular' | 'element' | 'oneof'): unknown {
  if (field.message) return randomMessageValue(random, field, depth, slot === 'singular' && field.fieldKind === 'message');
  if (field.enum) return randomEnum(random, field);
  return randomScalar(random, field.scalar!, 'longAsString' in field && field.longAsString === true);
}

function randomList(random: Random, field: DescField, depth: number): unknown[] {
  return Array.from({ length: random.pick([0, 1, 2, 3]) }, () => randomValue(random, field, depth, 'element'));
}

function randomMap(random: Random, field: DescField, depth: number): Record<string, unknown> {
  const map: Record<string, unknown> = {};
  for (let n = random.int(4); n > 0; n--) map[random.pick(MAP_KEYS)] = randomValue(random, field, depth, 'element');
  return map;
}

/** A random init for `desc`; `depth` grows with nesting, so recursive types end (start negative to go deeper). */
export function randomInit(random: Random, desc: DescMessage, depth: number): Record<string, unknown> {
  const init: Record<string, unknown> = {};
  const fill = depth <= 0 ? 0.6 : depth > 3 ? 0 : 0.35;
  for (const oneof of desc.oneofs) {
    if (!random.chance(fill)) continue;
    const field = random.pick(oneof.fields);
    init[oneof.localName] = random.chance(0.05) ? { case: undefined } : { case: field.localName, value: randomValue(random, field, depth, 'oneof') };
  }
  for (const field of desc.fields) {
    if (field.oneof || !random.chance(fill)) continue;
    if (field.fieldKind === 'list') init[field.localName] = randomList(random, field, depth);
    else if (field.fieldKind === 'map') init[field.localName] = randomMap(random, field, depth);
    else init[field.localName] = random.chance(0.05) ? null : randomValue(random, field, depth, 'singular');
  }
  return init;
}
