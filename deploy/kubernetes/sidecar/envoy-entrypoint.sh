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
exec envoy -c "$out" --disable-hot-restart "$@"
