#!/usr/bin/env bash
# Idempotent: builds a real kube-apiserver (and kubectl) from the Go module proxy into a per-machine
# cache, and installs etcd from Debian when missing. Prints the binary directory on stdout.
#   KUBE_VERSION      k8s.io/kubernetes release (default v1.33.13; the module proxy here serves every staging module at v0.33.13)
#   LANEWAY_KUBE_CMDS commands to build (default "kube-apiserver kubectl")
#   LANEWAY_KUBE_P    go build -p (default 1: CPU is shared with other test runs)
set -euo pipefail

KUBE_VERSION="${KUBE_VERSION:-v1.33.13}"
CMDS="${LANEWAY_KUBE_CMDS:-kube-apiserver kubectl}"
PAR="${LANEWAY_KUBE_P:-1}"
CACHE="${XDG_CACHE_HOME:-$HOME/.cache}/laneway/kube/${KUBE_VERSION}"
BUILD="${CACHE}/build"
log() { echo "[ensure-kube-apiserver] $*" >&2; }

mkdir -p "$CACHE"
# One build at a time per machine: concurrent test runs wait for the first.
exec 9>"${CACHE}/.lock"
flock 9

if ! command -v etcd >/dev/null 2>&1; then
  log "etcd missing: installing etcd-server from Debian"
  if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
  $SUDO apt-get update >&2
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y --no-install-recommends etcd-server >&2
  # Debian starts a system etcd on :2379; tests run their own on free ports.
  $SUDO systemctl disable --now etcd >/dev/null 2>&1 || true
fi

need=""
for c in $CMDS; do [ -x "${CACHE}/${c}" ] || need="$need $c"; done
if [ -z "$need" ]; then echo "$CACHE"; exit 0; fi

command -v go >/dev/null 2>&1 || { log "go toolchain required to build:$need"; exit 1; }
export GOFLAGS="-mod=mod -buildvcs=false"
export CGO_ENABLED=0
mkdir -p "$BUILD"
cd "$BUILD"

if [ ! -f go.mod ] || ! grep -q "k8s.io/kubernetes ${KUBE_VERSION}" go.mod; then
  log "resolving k8s.io/kubernetes@${KUBE_VERSION}"
  gomod="$(go mod download -json "k8s.io/kubernetes@${KUBE_VERSION}" | sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",\{0,1\}$/\1/p')"
  [ -f "$gomod" ] || { log "could not download go.mod of k8s.io/kubernetes@${KUBE_VERSION}"; exit 1; }
  staging="v0.${KUBE_VERSION#v1.}"
  {
    echo "module laneway.dev/kube-build"
    echo
    echo "go $(sed -n 's/^go \([0-9.]*\)$/\1/p' "$gomod")"
    echo
    echo "require k8s.io/kubernetes ${KUBE_VERSION}"
    echo
    # Staging modules are `replace k8s.io/x => ./staging/src/k8s.io/x` upstream; pin to the release tag.
    grep -E '^[[:space:]]*k8s\.io/[^ ]+ => \./staging/' "$gomod" \
      | awk -v v="$staging" '{print "replace " $1 " => " $1 " " v}'
    # Non-staging replaces of the upstream module (if any) must be repeated here to take effect.
    grep -E '^[[:space:]]*replace [^ ]+ => [^.][^ ]* v' "$gomod" || true
  } >go.mod.new
  mv go.mod.new go.mod
  printf 'package tools\n' >tools.go
  # Start from upstream's requirement set so MVS picks the versions Kubernetes tested with.
  go mod edit $(awk '/^require \(/{r=1;next} r&&/^\)/{r=0} r&&NF>=2&&$2!~/^v0\.0\.0$/{printf "-require=%s@%s ", $1, $2}' "$gomod")
fi

for c in $need; do
  log "building ${c} ${KUBE_VERSION} (go build -p ${PAR}); first build takes a while"
  go build -p "$PAR" -trimpath -ldflags "-s -w -X k8s.io/component-base/version.gitVersion=${KUBE_VERSION} -X k8s.io/client-go/pkg/version.gitVersion=${KUBE_VERSION}" \
    -o "${CACHE}/${c}.tmp" "k8s.io/kubernetes/cmd/${c}" >&2
  mv "${CACHE}/${c}.tmp" "${CACHE}/${c}"
done
echo "$CACHE"
