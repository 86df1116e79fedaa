// Encodes a message around elements of one repeated message field that are already encoded: a
// route configuration from the virtual hosts many proxies share, encoded once each. Protobuf
// writes fields in field-number order, so the result equals toBinary of the whole message when no
// field numbered after the repeated one is set; that is checked from the schema, not assumed.
import { clone, isFieldSet, toBinary, type DescField, type DescMessage, type Message, type MessageShape } from '@bufbuild/protobuf';
import { reflect, type ReflectList, type ReflectMessage } from '@bufbuild/protobuf/reflect';
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
 * toBinary(schema, message with `elements` added to its `localName` list): after the elements the
 * message already holds (`at: 'end'`), or before them (`at: 'start'`), from the elements'
 * encodings. Throws when the message holds a field numbered after that list, or unknown fields
 * (either of which toBinary would order differently).
 */
export function appendRepeated<Desc extends DescMessage>(
  schema: Desc,
  message: MessageShape<Desc>,
  localName: string,
  elements: readonly Uint8Array[],
  at: 'start' | 'end' = 'end',
): Uint8Array {
  const { field, later } = layoutOf(schema, localName);
  const setAfter = later.find((f) => isFieldSet(message, f));
  if (setAfter || (message.$unknown?.length ?? 0) > 0) {
    throw new Error(`${schema.typeName}: cannot append ${localName} after ${setAfter ? setAfter.localName : 'unknown fields'}`);
  }
  const held = heldElements(message, field);
  const all = held.length === 0 ? elements : at === 'start' ? [...elements, ...held] : [...held, ...elements];
  const head = toBinary(schema, held.length === 0 ? message : withoutList(schema, message, field));
  return withElements(head, field.number, all);
}

/** The list's elements the message already holds, each encoded. */
function heldElements(message: Message, field: DescField): Uint8Array[] {
  if (field.fieldKind !== 'list' || field.listKind !== 'message') return [];
  const list = reflect(field.parent, message).get(field) as ReflectList;
  return [...list].map((element) => toBinary(field.message, (element as ReflectMessage).message));
}

function withoutList<Desc extends DescMessage>(schema: Desc, message: MessageShape<Desc>, field: DescField): MessageShape<Desc> {
  const copy = clone(schema, message);
  reflect(schema, copy).clear(field);
  return copy;
}

/** `head` followed by each element as a length-delimited field `number`: sized first, then every byte written once (not zero-filled first). */
function withElements(head: Uint8Array, number: number, elements: readonly Uint8Array[]): Uint8Array {
  const tag = (number << 3) | WireType.LengthDelimited;
  // A route configuration can hold megabytes of hosts, and is rebuilt for every sidecar a write touches.
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
