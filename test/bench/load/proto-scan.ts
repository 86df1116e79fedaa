// Just enough protobuf reading for a load generator that must stay cheap at thousands of streams:
// top-level fields of (Delta)DiscoveryResponse and the few names an Envoy-like client needs,
// read straight from the bytes, no message objects.

interface Field {
  number: number;
  wireType: number;
  /** Length-delimited payload (wire type 2); empty otherwise. */
  bytes: Buffer;
}

function readVarint(buf: Buffer, pos: number): [value: number, next: number] {
  let value = 0;
  let shift = 1;
  let b: number;
  do {
    b = buf[pos++]!;
    value += (b & 0x7f) * shift;
    shift *= 128;
  } while (b & 0x80);
  return [value, pos];
}

const EMPTY: Buffer = Buffer.alloc(0);

export function* fields(buf: Buffer): Generator<Field> {
  let pos = 0;
  while (pos < buf.length) {
    const [key, afterKey] = readVarint(buf, pos);
    const number = Math.floor(key / 8);
    const wireType = key & 7;
    pos = afterKey;
    if (wireType === 2) {
      const [length, start] = readVarint(buf, pos);
      pos = start + length;
      yield { number, wireType, bytes: buf.subarray(start, pos) };
    } else if (wireType === 0) {
      pos = readVarint(buf, pos)[1];
      yield { number, wireType, bytes: EMPTY };
    } else if (wireType === 1) {
      pos += 8;
    } else if (wireType === 5) {
      pos += 4;
    } else {
      throw new Error(`unsupported wire type ${wireType}`);
    }
  }
}

function firstBytes(buf: Buffer, number: number): Buffer | undefined {
  for (const f of fields(buf)) if (f.number === number && f.wireType === 2) return f.bytes;
  return undefined;
}

function firstString(buf: Buffer, number: number): string {
  return firstBytes(buf, number)?.toString('utf8') ?? '';
}

export interface ScannedResponse {
  typeUrl: string;
  nonce: string;
  /** version_info (SotW) or system_version_info (delta). */
  version: string;
  /** The resource messages themselves (Any.value), with their names. */
  resources: Array<{ name: string; value: Buffer }>;
  removed: string[];
}

/** The resource name: field 1 of Listener, RouteConfiguration, Cluster and ClusterLoadAssignment. */
function resourceName(value: Buffer): string {
  return firstString(value, 1);
}

export function scanSotwResponse(buf: Buffer): ScannedResponse {
  const out: ScannedResponse = { typeUrl: '', nonce: '', version: '', resources: [], removed: [] };
  for (const f of fields(buf)) {
    if (f.number === 1) out.version = f.bytes.toString('utf8');
    else if (f.number === 2) {
      const value = firstBytes(f.bytes, 2) ?? EMPTY;
      out.resources.push({ name: resourceName(value), value });
    } else if (f.number === 4) out.typeUrl = f.bytes.toString('utf8');
    else if (f.number === 5) out.nonce = f.bytes.toString('utf8');
  }
  return out;
}

export function scanDeltaResponse(buf: Buffer): ScannedResponse {
  const out: ScannedResponse = { typeUrl: '', nonce: '', version: '', resources: [], removed: [] };
  for (const f of fields(buf)) {
    if (f.number === 1) out.version = f.bytes.toString('utf8');
    else if (f.number === 2) {
      let name = '';
      let value: Buffer = EMPTY;
      for (const r of fields(f.bytes)) {
        if (r.number === 3) name = r.bytes.toString('utf8');
        else if (r.number === 2) value = firstBytes(r.bytes, 2) ?? EMPTY;
      }
      out.resources.push({ name, value });
    } else if (f.number === 4) out.typeUrl = f.bytes.toString('utf8');
    else if (f.number === 5) out.nonce = f.bytes.toString('utf8');
    else if (f.number === 6) out.removed.push(f.bytes.toString('utf8'));
  }
  return out;
}

/** RDS names a Listener's HTTP connection managers use (filter_chains.filters.typed_config -> rds). */
export function routeConfigNames(listener: Buffer): string[] {
  const names: string[] = [];
  for (const chain of fields(listener)) {
    if (chain.number !== 3) continue;
    for (const filter of fields(chain.bytes)) {
      if (filter.number !== 3) continue;
      const any = firstBytes(filter.bytes, 4);
      const hcm = any && firstBytes(any, 2);
      const rds = hcm && firstBytes(hcm, 3);
      const name = rds && firstString(rds, 2);
      if (name) names.push(name);
    }
  }
  return names;
}
