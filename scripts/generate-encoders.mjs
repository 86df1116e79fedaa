#!/usr/bin/env node
// Generates control-plane/src/envoy/generated/encoders.ts: straight-line protobuf encoders for the
// messages the translator produces and every message reachable from their fields, read from the
// same .proto files as scripts/generate-protos.mjs (buf build, then @bufbuild/protobuf's registry).
//
// Each encoder takes a message's init shape (what create() accepts: plain objects, absent fields
// at their defaults, wrappers unwrapped, Struct as JSON, oneofs as {case, value}; or a message
// itself) and gives exactly toBinary(create(schema, init)) of @bufbuild/protobuf 2.17: the same
// field order (by number), presence rules, packing and map entries, without creating the message.
// test/unit/generated-encoders.test.ts holds it to that on random inputs.
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createFileRegistry, fromBinary, ScalarType } from '@bufbuild/protobuf';
import { FileDescriptorSetSchema } from '@bufbuild/protobuf/wkt';
import { bin, generatedDir, pathArgs, withProtoWorkspace } from './proto-workspace.mjs';
import { WRITER_SOURCE } from './encoder-writer.mjs';

/** The messages the translator encodes (directly, or packed into an Any), each exported as `encode<Name>`. */
const ROOTS = {
  Cluster: 'envoy.config.cluster.v3.Cluster',
  ClusterLoadAssignment: 'envoy.config.endpoint.v3.ClusterLoadAssignment',
  Listener: 'envoy.config.listener.v3.Listener',
  RouteConfiguration: 'envoy.config.route.v3.RouteConfiguration',
  VirtualHost: 'envoy.config.route.v3.VirtualHost',
  Route: 'envoy.config.route.v3.Route',
  HttpConnectionManager: 'envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager',
  Router: 'envoy.extensions.filters.http.router.v3.Router',
  Lua: 'envoy.extensions.filters.http.lua.v3.Lua',
  HttpProtocolOptions: 'envoy.extensions.upstreams.http.v3.HttpProtocolOptions',
  HttpRequestHeaderMatchInput: 'envoy.type.matcher.v3.HttpRequestHeaderMatchInput',
};

const IMPLICIT = 2; // google.protobuf.FeatureSet.FieldPresence.IMPLICIT
const PROTO3 = 999; // google.protobuf.Edition.EDITION_PROTO3
const WRAPPERS = new Set(['Double', 'Float', 'Int64', 'UInt64', 'Int32', 'UInt32', 'Bool', 'String', 'Bytes'].map((n) => `google.protobuf.${n}Value`));

// Scalar type -> [wire type, writer method]. Types no schema here uses are left out on purpose:
// the generator stops on them rather than emit code no test exercises.
const SCALARS = {
  [ScalarType.DOUBLE]: [1, 'double'],
  [ScalarType.INT64]: [0, 'int64'],
  [ScalarType.UINT64]: [0, 'uint64'],
  [ScalarType.INT32]: [0, 'int32'],
  [ScalarType.BOOL]: [0, 'bool'],
  [ScalarType.STRING]: [2, 'string'],
  [ScalarType.BYTES]: [2, 'bytes'],
  [ScalarType.UINT32]: [0, 'uint32'],
};

function scalarOf(field, type) {
  const known = SCALARS[type];
  if (!known) throw new Error(`generate-encoders: ${field} has scalar type ${ScalarType[type]}, which the writer does not support yet`);
  return known;
}

function loadRegistry() {
  const image = withProtoWorkspace((work) => {
    const out = join(work, 'image.binpb');
    execFileSync(bin('buf'), ['build', '--exclude-source-info', '-o', out, ...pathArgs()], { cwd: work, stdio: 'inherit' });
    return readFileSync(out);
  });
  return createFileRegistry(fromBinary(FileDescriptorSetSchema, image));
}

/** Every message reachable from the roots through fields, in a stable order. */
function reachable(registry) {
  const found = new Map();
  const visit = (desc) => {
    if (found.has(desc.typeName)) return;
    if (desc.file.edition !== PROTO3) throw new Error(`generate-encoders: ${desc.typeName} is not proto3 (explicit-presence defaults are not supported)`);
    found.set(desc.typeName, desc);
    for (const field of desc.fields) {
      if (field.delimitedEncoding) throw new Error(`generate-encoders: ${field} uses delimited (group) encoding`);
      if (field.message) visit(field.message);
    }
  };
  for (const typeName of Object.values(ROOTS)) {
    const desc = registry.getMessage(typeName);
    if (!desc) throw new Error(`generate-encoders: ${typeName} is not in the descriptors`);
    visit(desc);
  }
  return [...found.values()].sort((a, b) => (a.typeName < b.typeName ? -1 : 1));
}

const fnName = (desc) => `m_${desc.typeName.replace(/\./g, '_')}`;
const prop = (name) => (/^[A-Za-z_$][\w$]*$/.test(name) ? `.${name}` : `[${JSON.stringify(name)}]`);

/** Writer calls for the varint bytes of a field's tag. */
function tag(number, wireType) {
  let value = ((number << 3) | wireType) >>> 0;
  const bytes = [];
  while (value > 0x7f) {
    bytes.push((value & 0x7f) | 0x80);
    value >>>= 7;
  }
  bytes.push(value);
  return bytes.length <= 2 ? `w.b${bytes.length}(${bytes.join(', ')});` : bytes.map((b) => `w.b1(${b});`).join(' ');
}

// Struct fields hold JSON (except inside google.protobuf.Value), as in protobuf-es.
const isStructJson = (field) => field.message?.typeName === 'google.protobuf.Struct' && field.parent.typeName !== 'google.protobuf.Value';
const isUnwrapped = (field) => field.fieldKind === 'message' && !field.oneof && WRAPPERS.has(field.message.typeName);

/** Encoding of a message value `expr` (not undefined) as field `number`, tag included. */
function messageValue(field, number, expr, at = 'at') {
  const head = `${tag(number, 2)} const ${at} = w.fork();`;
  if (isStructJson(field)) return `${head} structJson(w, ${expr}); w.join(${at});`;
  if (isUnwrapped(field)) {
    // The wrapper's one field, from the unwrapped value, with the wrapper's own presence rule.
    const inner = field.message.fields[0];
    return `${head} const u = ${inner.scalar === ScalarType.BYTES ? `u8(${expr})` : expr}; ${implicitScalar(inner, 'u')} w.join(${at});`;
  }
  return `${head} ${fnName(field.message)}(w, ${expr}); w.join(${at});`;
}

function scalarValue(field, type, number, expr) {
  const [wireType, method] = scalarOf(field, type);
  return `${tag(number, wireType)} w.${method}(${type === ScalarType.BYTES ? `u8(${expr})` : expr});`;
}

/** Zero-value test toBinary applies to an implicit-presence scalar or enum held in `v`. */
function isSetTest(field, v) {
  if (field.fieldKind === 'enum') return `${v} !== ${field.enum.values[0].number}`;
  switch (field.scalar) {
    case ScalarType.BOOL: return `${v} !== false`;
    case ScalarType.STRING: return `${v} !== ""`;
    case ScalarType.BYTES: return `(!(${v} instanceof Uint8Array) || ${v}.byteLength > 0)`;
    case ScalarType.DOUBLE:
    case ScalarType.FLOAT: return `!Object.is(${v}, 0)`;
    default: return `${v} != 0`; // loose, as toBinary: 0, 0n and "0"
  }
}

const typeOfValue = (field) => (field.fieldKind === 'enum' || field.listKind === 'enum' || field.mapKind === 'enum' ? ScalarType.INT32 : field.scalar);

/** An implicit-presence scalar already read into `v` (never undefined or null here). */
function implicitScalar(field, v) {
  const type = typeOfValue(field);
  return `if (${isSetTest(field, v)}) { ${scalarValue(field, type, field.number, v)} }`;
}

function singularField(field, access) {
  if (field.oneof) {
    const value = field.fieldKind === 'message' ? messageValue(field, field.number, 'v.value === undefined ? EMPTY : v.value') : scalarValue(field, typeOfValue(field), field.number, 'v.value');
    return `if ((v = m${prop(field.oneof.localName)}) != null && v.case === ${JSON.stringify(field.localName)}) { ${value} }`;
  }
  if (field.fieldKind === 'message') return `if ((v = ${access}) != null) { ${messageValue(field, field.number, 'v')} }`;
  if (field.presence !== IMPLICIT) return `if ((v = ${access}) != null) { ${scalarValue(field, typeOfValue(field), field.number, 'v')} }`;
  if (field.scalar === ScalarType.BYTES) return `if ((v = ${access}) != null) { v = u8(v); ${implicitScalar(field, 'v')} }`;
  return `if ((v = ${access}) != null) { ${implicitScalar(field, 'v')} }`;
}

function listField(field, access) {
  const head = `if ((v = ${access}) != null && v.length > 0)`;
  if (field.listKind === 'message') {
    return `${head} { for (let i = 0; i < v.length; i++) { const e = v[i]; ${messageValue(field, field.number, 'e === undefined ? EMPTY : e')} } }`;
  }
  const type = typeOfValue(field);
  const [, method] = scalarOf(field, type);
  if (field.packed) return `${head} { ${tag(field.number, 2)} const at = w.fork(); for (let i = 0; i < v.length; i++) w.${method}(v[i]); w.join(at); }`;
  return `${head} { for (let i = 0; i < v.length; i++) { ${scalarValue(field, type, field.number, 'v[i]')} } }`;
}

function mapField(field, access) {
  if (field.mapKey !== ScalarType.STRING) throw new Error(`generate-encoders: ${field} has a non-string map key, not supported yet`);
  const value = field.mapKind === 'message'
    ? `const e = v[k]; ${messageValue(field, 2, 'e === undefined ? EMPTY : e', 'at2')}`
    : scalarValue(field, typeOfValue(field), 2, 'v[k]');
  return `if ((v = ${access}) != null) { const keys = Object.keys(v); for (let i = 0; i < keys.length; i++) { const k = keys[i]!; ${tag(field.number, 2)} const at = w.fork(); w.b1(10); w.string(k); ${value} w.join(at); } }`;
}

function messageFunction(desc) {
  const fields = desc.fields.concat().sort((a, b) => a.number - b.number);
  const lines = fields.map((field) => {
    const access = `m${prop(field.localName)}`;
    if (field.fieldKind === 'list') return listField(field, access);
    if (field.fieldKind === 'map') return mapField(field, access);
    return singularField(field, access);
  });
  return [
    `/** ${desc.typeName} */`,
    `function ${fnName(desc)}(w: Writer, m: any): void {`,
    '  let v: any;',
    ...lines.map((line) => `  ${line}`),
    `  if (m.$typeName === ${JSON.stringify(desc.typeName)} && m.$unknown !== undefined) w.unknown(m.$unknown);`,
    '}',
  ].join('\n');
}

/** Struct and Value from their JSON form, as protobuf-es turns JSON into a Struct message before writing it. */
function structJsonFunctions(registry) {
  const struct = registry.getMessage('google.protobuf.Struct');
  const value = registry.getMessage('google.protobuf.Value');
  const list = registry.getMessage('google.protobuf.ListValue');
  const n = (desc, name) => desc.fields.find((f) => f.name === name).number;
  return `
/** google.protobuf.Struct from a JSON object (anything else: an empty Struct). */
function structJson(w: Writer, json: any): void {
  if (json === null || typeof json !== 'object' || Array.isArray(json)) return;
  const keys = Object.keys(json);
  for (let i = 0; i < keys.length; i++) {
    ${tag(n(struct, 'fields'), 2)} const at = w.fork(); w.b1(10); w.string(keys[i]!);
    w.b1(18); const at2 = w.fork(); valueJson(w, json[keys[i]!]); w.join(at2); w.join(at);
  }
}

/** google.protobuf.Value from a JSON value (undefined and other non-JSON values: no kind). */
function valueJson(w: Writer, json: any): void {
  switch (typeof json) {
    case 'number': ${tag(n(value, 'number_value'), 1)} w.double(json); return;
    case 'string': ${tag(n(value, 'string_value'), 2)} w.string(json); return;
    case 'boolean': ${tag(n(value, 'bool_value'), 0)} w.bool(json); return;
    case 'object': break;
    default: return;
  }
  if (json === null) { ${tag(n(value, 'null_value'), 0)} w.int32(0); return; }
  if (Array.isArray(json)) {
    ${tag(n(value, 'list_value'), 2)} const at = w.fork();
    for (let i = 0; i < json.length; i++) { ${tag(n(list, 'values'), 2)} const at2 = w.fork(); valueJson(w, json[i]); w.join(at2); }
    w.join(at);
    return;
  }
  ${tag(n(value, 'struct_value'), 2)} const at = w.fork(); structJson(w, json); w.join(at);
}
`;
}

/** protobuf-es's name for a message's schema export: its name within the file, nesting joined by "_". */
const schemaName = (desc) => `${desc.typeName.slice(desc.file.proto.package.length + 1).replace(/\./g, '_')}Schema`;

function exports(registry) {
  const imports = [];
  const functions = [];
  for (const [name, typeName] of Object.entries(ROOTS)) {
    const desc = registry.getMessage(typeName);
    const path = `./${desc.file.name}_pb.js`;
    imports.push(`import type { ${schemaName(desc)} } from ${JSON.stringify(path)};`);
    functions.push(
      `/** toBinary(${schemaName(desc)}, create(${schemaName(desc)}, init)), without creating the message. */`,
      `export function encode${name}(init?: MessageInitShape<typeof ${schemaName(desc)}>): Uint8Array {`,
      `  return encodeWith(${fnName(desc)}, init);`,
      '}',
    );
  }
  return { imports, functions };
}

function generate() {
  const registry = loadRegistry();
  const messages = reachable(registry);
  const { imports, functions } = exports(registry);
  const source = [
    '// GENERATED by scripts/generate-encoders.mjs from the .proto files: do not edit, regenerate (npm run generate).',
    '// Encoders from init shapes, byte-identical to toBinary(create(schema, init)) of @bufbuild/protobuf.',
    '/* eslint-disable */',
    "import { protoInt64, type MessageInitShape } from '@bufbuild/protobuf';",
    ...imports,
    WRITER_SOURCE,
    ...functions,
    '',
    '/** Every generated encoder, by message type name (the typed ones above cover what the translator uses). */',
    'export const encoders: ReadonlyMap<string, (init?: unknown) => Uint8Array> = new Map([',
    ...messages.map((desc) => `  [${JSON.stringify(desc.typeName)}, (init?: unknown) => encodeWith(${fnName(desc)}, init)],`),
    ']);',
    structJsonFunctions(registry),
    ...messages.map(messageFunction),
    '',
  ].join('\n');
  const out = join(generatedDir, 'encoders.ts');
  writeFileSync(out, source);
  console.log(`generate-encoders: wrote ${out} (${messages.length} message types)`);
}

generate();
