// Encodes a message around elements of one repeated message field that are already encoded: a
// route configuration from the virtual hosts many proxies share, encoded once each. Protobuf
// writes fields in field-number order, so the result equals toBinary of the whole message when no
// field numbered after the repeated one is set; that is checked from the schema, not assumed.
import { isFieldSet, toBinary, type DescField, type DescMessage, type MessageShape } from '@bufbuild/protobuf';
import { BinaryWriter, WireType } from '@bufbuild/protobuf/wire';

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
  const writer = new BinaryWriter().raw(toBinary(schema, message));
  for (const element of elements) writer.tag(field.number, WireType.LengthDelimited).bytes(element);
  return writer.finish();
}
