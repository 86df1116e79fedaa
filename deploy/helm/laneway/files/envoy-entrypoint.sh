#!/bin/sh
# Renders an envoy-configs/ template from environment variables, then runs envoy in the foreground.
# Usage: envoy-entrypoint.sh TEMPLATE [envoy args...]
set -eu
template="$1"
shift
out="${ENVOY_CONFIG_OUT:-/tmp/envoy.yaml}"
grep -v '^#' "$template" > "$out"
for name in NODE_ID SERVICE LANE LISTENER_ADDRESS LISTENER_PORT ADMIN_PORT XDS_HOST XDS_PORT; do
  grep -q "\${$name}" "$out" || continue
  eval "value=\${$name:-}"
  if [ -z "$value" ]; then
    echo "envoy-entrypoint: $template needs $name" >&2
    exit 2
  fi
  sed -i "s|\${$name}|$value|g" "$out"
done
# REGISTER=host:port: the app's address, an endpoint of (SERVICE, LANE) while this Envoy is connected
# (what `laneway envoy --register` puts in the node metadata).
if [ -n "${REGISTER:-}" ]; then
  awk -v reg="$REGISTER" '{ print } /^    laneway.lane:/ { print "    laneway.register: \"" reg "\"" }' "$out" > "$out.tmp"
  mv "$out.tmp" "$out"
fi
exec envoy -c "$out" --disable-hot-restart "$@"
