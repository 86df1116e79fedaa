// Lane entry: a Lua filter that sets the lane header on requests that have none, from W3C baggage
// (every proxy) and, at the ingress, from a host subdomain, a cookie or a query parameter. Routing
// then looks only at the lane header, so every hop agrees and apps forward one header (or baggage).
import { DEFAULT_LANE_FROM, type MeshState } from '../model/types.js';
import type { ProxyKind } from './proxy.js';

export interface LaneEntry {
  laneHeader: string;
  /** Baggage member key, or undefined when baggage is off. */
  baggage?: string;
  /** ".app.example.test" for ingress domain "app.example.test" (ingress only). */
  hostSuffix?: string;
  cookie?: string;
  query?: string;
}

function enabled(value: string | false | undefined, fallback: string | false): string | undefined {
  const chosen = value === undefined ? fallback : value;
  return chosen === false || chosen === '' ? undefined : chosen;
}

/** The mechanisms in effect for a proxy kind; undefined when the lane header is the only one. */
export function laneEntryFor(state: MeshState, kind: ProxyKind): LaneEntry | undefined {
  const { laneFrom = {}, ingressDomain, laneHeader } = state.settings;
  const entry: LaneEntry = { laneHeader: laneHeader.toLowerCase() };
  const baggage = enabled(laneFrom.baggage, DEFAULT_LANE_FROM.baggage);
  if (baggage) entry.baggage = baggage;
  if (kind === 'ingress') {
    if (ingressDomain) entry.hostSuffix = `.${ingressDomain.toLowerCase()}`;
    const cookie = enabled(laneFrom.cookie, DEFAULT_LANE_FROM.cookie);
    const query = enabled(laneFrom.query, DEFAULT_LANE_FROM.query);
    if (cookie) entry.cookie = cookie;
    if (query) entry.query = query;
  }
  const { laneHeader: _, ...mechanisms } = entry;
  return Object.keys(mechanisms).length > 0 ? entry : undefined;
}

/** A Lua string literal (settings are validated names, but quote defensively anyway). */
function luaString(value: string | undefined): string {
  if (value === undefined) return 'nil';
  return `"${value.replace(/[\\"]/g, (c) => `\\${c}`).replace(/[\u0000-\u001f\u007f]/g, (c) => `\\${c.charCodeAt(0)}`)}"`;
}

// Parsers follow W3C Baggage (members split on ",", properties after ";", optional whitespace,
// percent-encoded values) and RFC 6265 cookies; a value that is not a lane name is ignored.
const LUA_BODY = `
local function lane_name(value)
  if value == nil or #value > 63 then return nil end
  if value:match("^[a-z0-9]$") or value:match("^[a-z0-9][a-z0-9-]*[a-z0-9]$") then return value end
  return nil
end

local function trim(value)
  return value:match("^[ \\t]*(.-)[ \\t]*$")
end

local function unescape(value)
  return (value:gsub("%%(%x%x)", function(hex) return string.char(tonumber(hex, 16)) end))
end

local function from_baggage(baggage)
  if BAGGAGE == nil or baggage == nil then return nil end
  for member in baggage:gmatch("[^,]+") do
    local key, rest = member:match("^[ \\t]*([^=;]-)[ \\t]*=(.*)$")
    if key == BAGGAGE then return lane_name(unescape(trim(rest:match("^[^;]*")))) end
  end
  return nil
end

local function from_host(authority)
  if HOST_SUFFIX == nil or authority == nil then return nil end
  local host = authority:lower():gsub(":%d+$", "")
  if #host <= #HOST_SUFFIX or host:sub(-#HOST_SUFFIX) ~= HOST_SUFFIX then return nil end
  return lane_name(host:sub(1, #host - #HOST_SUFFIX))
end

local function from_pairs(text, separators, name)
  if name == nil or text == nil then return nil end
  for pair in text:gmatch("[^" .. separators .. "]+") do
    local key, value = pair:match("^[ \\t]*([^=]-)[ \\t]*=(.*)$")
    if key ~= nil and unescape(key) == name then
      value = trim(value)
      return lane_name(unescape(value:match('^"(.*)"$') or value))
    end
  end
  return nil
end

function envoy_on_request(handle)
  local headers = handle:headers()
  local current = headers:get(LANE_HEADER)
  if current ~= nil and current ~= "" then return end
  local path = headers:get(":path") or ""
  local lane = from_baggage(headers:get("baggage"))
    or from_host(headers:get(":authority"))
    or from_pairs(headers:get("cookie"), ";,", COOKIE)
    or from_pairs(path:match("%?(.*)$"), "&", QUERY)
  if lane ~= nil then headers:replace(LANE_HEADER, lane) end
end
`;

/** The Lua source for one proxy kind: its settings as constants, then the fixed body. */
export function laneEntryScript(entry: LaneEntry): string {
  const constants = [
    `-- Laneway lane entry (generated): sets ${entry.laneHeader} when the request has none.`,
    `local LANE_HEADER = ${luaString(entry.laneHeader)}`,
    `local BAGGAGE = ${luaString(entry.baggage)}`,
    `local HOST_SUFFIX = ${luaString(entry.hostSuffix)}`,
    `local COOKIE = ${luaString(entry.cookie)}`,
    `local QUERY = ${luaString(entry.query)}`,
  ];
  return `${constants.join('\n')}\n${LUA_BODY}`;
}
