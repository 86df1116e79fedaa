#!/bin/sh
# Laneway transparent outbound capture: redirects this network namespace's outbound TCP to the
# sidecar's capture listener with iptables (nat OUTPUT), as Istio's istio-iptables does.
# Runs as the injected init container (NET_ADMIN only) or by hand on any Linux host/netns.
#
#   laneway-capture.sh          install (idempotent: the LANEWAY_OUTPUT chain is flushed and refilled)
#   laneway-capture.sh --clean  remove every rule and chain this script made
#   laneway-capture.sh --dry-run  print the iptables commands instead of running them
#
# Environment (comma lists may be empty):
#   LANEWAY_CAPTURE_PORT   the capture listener's port                       (default 15006)
#   LANEWAY_PROXY_UID      Envoy's uid: its own traffic is never captured    (default 1337)
#   LANEWAY_EXCLUDE_PORTS  destination ports not captured, e.g. "3306,5432"
#   LANEWAY_EXCLUDE_CIDRS  destination CIDRs not captured, e.g. "10.0.0.0/8,169.254.169.254/32"
#   LANEWAY_IPTABLES       the iptables command                              (default iptables)
# Loopback (127.0.0.1/32, and anything leaving by lo to the pod's own addresses) is not captured,
# so apps still reach localhost and their own sidecar's explicit listener.
set -eu
# List items are split on newlines only (items() turns commas into newlines), never on spaces.
IFS='
'

CHAIN=LANEWAY_OUTPUT
PORT="${LANEWAY_CAPTURE_PORT:-15006}"
PROXY_UID="${LANEWAY_PROXY_UID:-1337}"
EXCLUDE_PORTS="${LANEWAY_EXCLUDE_PORTS:-}"
EXCLUDE_CIDRS="${LANEWAY_EXCLUDE_CIDRS:-}"
IPT="${LANEWAY_IPTABLES:-iptables}"
DRY_RUN=0

say() { echo "laneway-capture: $*"; }
fail() { echo "laneway-capture: $*" >&2; exit 2; }

ipt() {
  if [ "$DRY_RUN" = 1 ]; then (IFS=' '; echo "$IPT -t nat $*"); else "$IPT" -t nat "$@"; fi
}

is_port() {
  case "$1" in ''|*[!0-9]*) return 1 ;; esac
  [ "$1" -ge 1 ] && [ "$1" -le 65535 ]
}

# a.b.c.d or a.b.c.d/n with digits only; iptables itself rejects what this lets through.
is_cidr() {
  case "$1" in
    *[!0-9./]*|'') return 1 ;;
    */*/*) return 1 ;;
  esac
  addr="${1%%/*}"
  [ "$(echo "$addr" | tr -cd . | wc -c)" -eq 3 ] || return 1
  case "$1" in */*) bits="${1#*/}"; is_port "$bits" || [ "$bits" = 0 ] || return 1; [ "$bits" -le 32 ] || return 1 ;; esac
}

# Splits a comma list, dropping blanks around items.
items() { echo "$1" | tr ',' '\n' | sed 's/^[[:space:]]*//;s/[[:space:]]*$//' | grep -v '^$' || true; }

validate() {
  is_port "$PORT" || fail "LANEWAY_CAPTURE_PORT must be a port (1-65535), got \"$PORT\""
  case "$PROXY_UID" in ''|*[!0-9]*) fail "LANEWAY_PROXY_UID must be a numeric uid, got \"$PROXY_UID\"" ;; esac
  for p in $(items "$EXCLUDE_PORTS"); do is_port "$p" || fail "LANEWAY_EXCLUDE_PORTS: \"$p\" is not a port (1-65535)"; done
  for c in $(items "$EXCLUDE_CIDRS"); do is_cidr "$c" || fail "LANEWAY_EXCLUDE_CIDRS: \"$c\" is not an IPv4 CIDR such as 10.0.0.0/8"; done
}

has_jump() { "$IPT" -t nat -C OUTPUT -p tcp -j "$CHAIN" >/dev/null 2>&1; }
has_chain() { "$IPT" -t nat -S "$CHAIN" >/dev/null 2>&1; }

clean() {
  if [ "$DRY_RUN" = 1 ]; then
    ipt -D OUTPUT -p tcp -j "$CHAIN"; ipt -F "$CHAIN"; ipt -X "$CHAIN"; return 0
  fi
  while has_jump; do ipt -D OUTPUT -p tcp -j "$CHAIN"; done
  if has_chain; then ipt -F "$CHAIN"; ipt -X "$CHAIN"; fi
  say "removed"
}

install() {
  validate
  if [ "$DRY_RUN" = 1 ] || ! has_chain; then ipt -N "$CHAIN"; else ipt -F "$CHAIN"; fi
  # Envoy's own connections (xDS, upstreams, passthrough) go out as they are: no loop.
  ipt -A "$CHAIN" -m owner --uid-owner "$PROXY_UID" -j RETURN
  ipt -A "$CHAIN" -d 127.0.0.1/32 -j RETURN
  # The pod calling itself (its own IP leaves by lo) is not outbound traffic.
  ipt -A "$CHAIN" -o lo ! -d 127.0.0.0/8 -j RETURN
  for p in $(items "$EXCLUDE_PORTS"); do ipt -A "$CHAIN" -p tcp --dport "$p" -j RETURN; done
  for c in $(items "$EXCLUDE_CIDRS"); do ipt -A "$CHAIN" -d "$c" -j RETURN; done
  ipt -A "$CHAIN" -p tcp -j REDIRECT --to-ports "$PORT"
  if [ "$DRY_RUN" = 1 ] || ! has_jump; then ipt -A OUTPUT -p tcp -j "$CHAIN"; fi
  say "outbound TCP -> :$PORT (except uid $PROXY_UID, 127.0.0.1, ports [${EXCLUDE_PORTS}], CIDRs [${EXCLUDE_CIDRS}])"
}

mode=install
for arg in "$@"; do
  case "$arg" in
    --clean) mode=clean ;;
    --dry-run) DRY_RUN=1 ;;
    -h|--help) sed -n '2,18p' "$0"; exit 0 ;;
    *) fail "unknown argument \"$arg\" (use --clean, --dry-run or no argument)" ;;
  esac
done
command -v "$IPT" >/dev/null 2>&1 || [ "$DRY_RUN" = 1 ] || fail "$IPT not found"
"$mode"
