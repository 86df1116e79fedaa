#!/usr/bin/env bash
# Idempotent: builds Helm from the Go module proxy into a per-machine cache (like
# ensure-kube-apiserver.sh). Prints the binary directory on stdout.
#   HELM_VERSION  helm.sh/helm/v4 release (default v4.3.2)
#   LANEWAY_HELM_P go build -p (default 1: CPU is shared with other test runs)
set -euo pipefail

HELM_VERSION="${HELM_VERSION:-v4.3.2}"
PAR="${LANEWAY_HELM_P:-1}"
CACHE="${XDG_CACHE_HOME:-$HOME/.cache}/laneway/helm/${HELM_VERSION}"
log() { echo "[ensure-helm] $*" >&2; }

mkdir -p "$CACHE"
# One build at a time per machine: concurrent test runs wait for the first.
exec 9>"${CACHE}/.lock"
flock 9

if [ -x "${CACHE}/helm" ]; then echo "$CACHE"; exit 0; fi

command -v go >/dev/null 2>&1 || { log "go toolchain required to build helm"; exit 1; }
export CGO_ENABLED=0
export GOFLAGS="-buildvcs=false"
log "building helm ${HELM_VERSION} (go install -p ${PAR}); first build takes a while"
# go install into a temporary GOBIN, then move: a half-built binary never sits at the cached path.
tmp="${CACHE}/gobin.tmp"
rm -rf "$tmp"
GOBIN="$tmp" go install -p "$PAR" -trimpath -ldflags "-s -w -X helm.sh/helm/v4/internal/version.version=${HELM_VERSION}" "helm.sh/helm/v4/cmd/helm@${HELM_VERSION}" >&2
mv "${tmp}/helm" "${CACHE}/helm"
rm -rf "$tmp"
echo "$CACHE"
