// The syntax of names, addresses and timestamps, as regular expressions: the validators test values
// with them and the API's JSON Schemas carry the same sources, so the OpenAPI document states the
// rules the model enforces (one copy of each rule).

export const DNS_LABEL_SOURCE = '^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$';
export const DNS_LABEL = new RegExp(DNS_LABEL_SOURCE);

const IPV4_PART = '(?:(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9][0-9]|[0-9])\\.){3}(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9][0-9]|[0-9])';
const H = '[0-9a-fA-F]{1,4}';
// RFC 4291 text forms (with an embedded IPv4 tail), no zone index: what Envoy takes as a socket address.
const IPV6_PART = [
  `(?:${H}:){7}(?:${H}|:)`,
  `(?:${H}:){6}(?:${IPV4_PART}|:${H}|:)`,
  `(?:${H}:){5}(?::${IPV4_PART}|(?::${H}){1,2}|:)`,
  `(?:${H}:){4}(?:(?::${H}){0,1}:${IPV4_PART}|(?::${H}){1,3}|:)`,
  `(?:${H}:){3}(?:(?::${H}){0,2}:${IPV4_PART}|(?::${H}){1,4}|:)`,
  `(?:${H}:){2}(?:(?::${H}){0,3}:${IPV4_PART}|(?::${H}){1,5}|:)`,
  `(?:${H}:){1}(?:(?::${H}){0,4}:${IPV4_PART}|(?::${H}){1,6}|:)`,
  `(?::(?:(?::${H}){0,5}:${IPV4_PART}|(?::${H}){1,7}|:))`,
].join('|');
export const IPV4 = new RegExp(`^${IPV4_PART}$`);
export const IPV6 = new RegExp(`^(?:${IPV6_PART})$`);
export const IP_SOURCE = `^(?:${IPV4_PART}|${IPV6_PART})$`;

// A DNS name: labels of letters, digits and '-', the last one starting with a letter (so that a
// mistyped IPv4 address is not taken for a name). No lookarounds: clients generate values from these.
const DNS_NAME_PART = '(?:[A-Za-z0-9](?:[-A-Za-z0-9]{0,61}[A-Za-z0-9])?\\.)*[A-Za-z](?:[-A-Za-z0-9]{0,61}[A-Za-z0-9])?';
const PORT_PART = '(?:6553[0-5]|655[0-2][0-9]|65[0-4][0-9]{2}|6[0-4][0-9]{3}|[1-5][0-9]{4}|[1-9][0-9]{0,3})';
/** host:port; host an IPv4 address, [IPv6] or a DNS name; port 1-65535 (no leading zeros). */
export const ENDPOINT_SOURCE = `^(?:${IPV4_PART}|\\[(?:${IPV6_PART})\\]|${DNS_NAME_PART}):${PORT_PART}$`;
export const ENDPOINT_MAX_LENGTH = 261;
const ENDPOINT_PATTERN = new RegExp(ENDPOINT_SOURCE);
export const ENDPOINT = { test: (value: string): boolean => value.length <= ENDPOINT_MAX_LENGTH && ENDPOINT_PATTERN.test(value) };

/** RFC 3339 with the ranges Date.parse accepts: a valid month, hour 00-23, minute and second 00-59. */
export const RFC3339_SOURCE = '^[0-9]{4}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12][0-9]|3[01])[Tt](?:[01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](?:\\.[0-9]+)?(?:[Zz]|[+-](?:[01][0-9]|2[0-3]):[0-5][0-9])$';
export const RFC3339 = new RegExp(RFC3339_SOURCE);

export const HEADER_NAME_SOURCE = "^[a-z0-9!#$%&'*+.^_`|~-]{1,128}$";
export const HEADER_NAME = new RegExp(HEADER_NAME_SOURCE);

const LABEL_NAME_PART = '[A-Za-z0-9](?:[-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?';
const DNS_LABEL_PART = '[a-z0-9](?:[-a-z0-9]{0,61}[a-z0-9])?';
export const LABEL_NAME = new RegExp(`^${LABEL_NAME_PART}$`);
/** [prefix/]name: prefix a lowercase DNS name; at most LABEL_KEY_MAX_LENGTH in all. */
export const LABEL_KEY_SOURCE = `^(?:${DNS_LABEL_PART}(?:\\.${DNS_LABEL_PART})*/)?${LABEL_NAME_PART}$`;
export const LABEL_KEY_MAX_LENGTH = 317;
export const LABEL_VALUE_SOURCE = `^(?:${LABEL_NAME_PART})?$`;

/** A lowercase DNS name of two or more labels, the last starting with a letter; at most 253 characters. */
export const DOMAIN_SOURCE = `^(?:${DNS_LABEL_PART}\\.)+[a-z](?:[-a-z0-9]{0,61}[a-z0-9])?$`;

/** host:port of an OTLP collector: a DNS name or IPv4 address, port 1-65535; at most 259 characters. */
export const COLLECTOR_SOURCE = `^[A-Za-z0-9](?:[-A-Za-z0-9.]*[A-Za-z0-9])?:${PORT_PART}$`;
export const COLLECTOR_MAX_LENGTH = 259;
const COLLECTOR_PATTERN = new RegExp(COLLECTOR_SOURCE);
export const COLLECTOR = { test: (value: string): boolean => value.length <= COLLECTOR_MAX_LENGTH && COLLECTOR_PATTERN.test(value) };
