// Encodes a message around elements of one repeated message field that are already encoded: a
// route configuration from the virtual hosts many proxies share, encoded once each. Protobuf
// writes fields in field-number order, so the result equals toBinary of the whole message when no
// field numbered after the repeated one is set; that is checked from the schema, not assumed.
import { isFieldSet, toBinary, type DescField, type DescMessage, type MessageShape } from '@bufbuild/protobuf';
import { WireType } from '@bufbuild/protobuf/wire';

interface Layout {
  field: DescField;
  /** Fields numbered after `field`: none may be set in the message the elements are appended to. */
  later: readonly DescField[];
}

const layouts = new WeakMap<DescMessage, Map<string, Layout>>();

function layoutOf(schema: DescMessage, localName: string): Layout {
  let bySchema = layouts.get(schema);
  if (!bySchema) layouts.set(schema, (bySchema = new Map()));
  let layout = bySchema.get(localName);
  if (!layout) {
    const field = schema.fields.find((f) => f.localName === localName);
    if (!field || field.fieldKind !== 'list' || field.listKind !== 'message') {
      throw new Error(`${schema.typeName}.${localName} is not a repeated message field`);
    }
    layout = { field, later: schema.fields.filter((f) => f.number > field.number) };
    bySchema.set(localName, layout);
  }
  return layout;
}

/**
 * toBinary(schema, message with `elements` as its `localName` list), from the elements' encodings.
 * Throws when the message already holds elements of that field, a field numbered after it, or
 * unknown fields (any of which toBinary would order differently).
 */
export function appendRepeated<Desc extends DescMessage>(
  schema: Desc,
  message: MessageShape<Desc>,
  localName: string,
  elements: readonly Uint8Array[],
): Uint8Array {
  const { field, later } = layoutOf(schema, localName);
  const setAfter = [field, ...later].find((f) => isFieldSet(message, f));
  if (setAfter || (message.$unknown?.length ?? 0) > 0) {
    throw new Error(`${schema.typeName}: cannot append ${localName} after ${setAfter ? setAfter.localName : 'unknown fields'}`);
  }
  const head = toBinary(schema, message);
  const tag = (field.number << 3) | WireType.LengthDelimited;
  // Sized first, then written into one buffer, every byte of it (so not zero-filled first): a
  // route configuration can hold megabytes of hosts, and is rebuilt for every sidecar a write touches.
  let size = head.byteLength;
  for (const element of elements) size += varintSize(tag) + varintSize(element.byteLength) + element.byteLength;
  const out = Buffer.allocUnsafe(size);
  out.set(head);
  let at = head.byteLength;
  for (const element of elements) {
    at = writeVarint(out, at, tag);
    at = writeVarint(out, at, element.byteLength);
    out.set(element, at);
    at += element.byteLength;
  }
  return out;
}

function varintSize(value: number): number {
  let size = 1;
  while (value >= 0x80) {
    value = Math.floor(value / 128);
    size++;
  }
  return size;
}

/** A non-negative integer as a base-128 varint at `at`; returns the position after it. */
function writeVarint(out: Uint8Array, at: number, value: number): number {
  while (value >= 0x80) {
    out[at++] = (value % 128) | 0x80;
    value = Math.floor(value / 128);
  }
  out[at++] = value;
  return at;
}
