// StreamAccessLogsMessage decoding for the AccessLogService. An Envoy HTTP access-log entry holds
// dozens of fields (timings, addresses, TLS, flags) and a hop record needs four: the upstream
// cluster, the request and response headers logged, and the status. They are read straight off
// the wire with the protobuf runtime's BinaryReader, every other field skipped, several times
// cheaper than decoding whole entries. The identifier (first message of a stream) goes through
// fromBinary. Malformed bytes throw, as fromBinary would.
import { fromBinary } from '@bufbuild/protobuf';
import { BinaryReader, WireType } from '@bufbuild/protobuf/wire';
import {
  StreamAccessLogsMessage_IdentifierSchema,
  type StreamAccessLogsMessage_Identifier,
} from '../envoy/generated/envoy/service/accesslog/v3/als_pb.js';

/** What a hop record reads of one envoy.data.accesslog.v3.HTTPAccessLogEntry. */
export interface AccessLogEntry {
  upstreamCluster: string;
  /** additional_request_headers_to_log, by lower-case name. */
  requestHeaders: Record<string, string>;
  /** 0 when absent. */
  responseCode: number;
  responseHeaders: Record<string, string>;
}

export interface AccessLogMessage {
  identifier: StreamAccessLogsMessage_Identifier | undefined;
  httpEntries: AccessLogEntry[];
  /** TCP entries are not hop records; counted only. */
  tcpEntries: number;
}

// Field numbers. StreamAccessLogsMessage: identifier 1, http_logs 2, tcp_logs 3 (each a list with log_entry 1).
// HTTPAccessLogEntry: common_properties 1, request 3, response 4. AccessLogCommon: upstream_cluster 15.
// HTTPRequestProperties: request_headers 13. HTTPResponseProperties: response_code 1 (UInt32Value: value 1), response_headers 4.

/** Calls `each(fieldNo, wireType)` for every field of the message in `bytes`; `each` reads or returns false to skip. */
function fields(bytes: Uint8Array, each: (reader: BinaryReader, fieldNo: number, wireType: WireType) => boolean): void {
  const reader = new BinaryReader(bytes);
  while (reader.pos < reader.len) {
    const [fieldNo, wireType] = reader.tag();
    if (!each(reader, fieldNo, wireType)) reader.skip(wireType, fieldNo);
  }
}

const isBytes = (wireType: WireType) => wireType === WireType.LengthDelimited;

function mapEntry(bytes: Uint8Array, into: Record<string, string>): void {
  let key = '';
  let value = '';
  fields(bytes, (r, no, wt) => {
    if (no === 1 && isBytes(wt)) key = r.string();
    else if (no === 2 && isBytes(wt)) value = r.string();
    else return false;
    return true;
  });
  into[key] = value;
}

function entry(bytes: Uint8Array): AccessLogEntry {
  const out: AccessLogEntry = { upstreamCluster: '', requestHeaders: {}, responseCode: 0, responseHeaders: {} };
  fields(bytes, (r, no, wt) => {
    if (!isBytes(wt)) return false;
    if (no === 1) fields(r.bytes(), (c, n, w) => n === 15 && isBytes(w) && ((out.upstreamCluster = c.string()), true));
    else if (no === 3) fields(r.bytes(), (q, n, w) => n === 13 && isBytes(w) && (mapEntry(q.bytes(), out.requestHeaders), true));
    else if (no === 4) {
      fields(r.bytes(), (s, n, w) => {
        if (n === 1 && isBytes(w)) fields(s.bytes(), (v, m, x) => m === 1 && x === WireType.Varint && ((out.responseCode = v.uint32()), true));
        else if (n === 4 && isBytes(w)) mapEntry(s.bytes(), out.responseHeaders);
        else return false;
        return true;
      });
    } else return false;
    return true;
  });
  return out;
}

function entries(bytes: Uint8Array, each: (entry: Uint8Array) => void): void {
  fields(bytes, (r, no, wt) => no === 1 && isBytes(wt) && (each(r.bytes()), true));
}

export function decodeAccessLogMessage(bytes: Uint8Array): AccessLogMessage {
  const message: AccessLogMessage = { identifier: undefined, httpEntries: [], tcpEntries: 0 };
  fields(bytes, (r, no, wt) => {
    if (!isBytes(wt)) return false;
    if (no === 1) message.identifier = fromBinary(StreamAccessLogsMessage_IdentifierSchema, r.bytes());
    else if (no === 2) entries(r.bytes(), (e) => message.httpEntries.push(entry(e)));
    else if (no === 3) entries(r.bytes(), () => message.tcpEntries++);
    else return false;
    return true;
  });
  return message;
}
