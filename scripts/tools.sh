#!/usr/bin/env bash
# Builds the real control-plane binaries the tests and the demo need, from source
# through the Go module proxy, at the versions pinned in scripts/versions.env.
# Binaries are cached outside the checkout, keyed by version, so a fresh clone
# reuses them. Layout follows what io.fabric8:kube-api-test expects:
#   $LNC_TOOLS_DIR/k8s/<k8s version>-linux-amd64/{kube-apiserver,kube-controller-manager,kube-scheduler,kubectl,etcd}
#   $LNC_TOOLS_DIR/helm/<helm version>/helm
#   $LNC_TOOLS_DIR/lnd/<lnd version>/{lnd,lncli}
#   $LNC_TOOLS_DIR/btcd/<btcd version>/{btcd,btcctl}
# Usage: scripts/tools.sh [k8s|etcd|helm|lnd|btcd|all]   (prints the tools directory at the end)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
# shellcheck source=versions.env
source "$here/versions.env"

TOOLS_DIR="${LNC_TOOLS_DIR:-$HOME/.cache/lightning-operator/tools}"
WORK_DIR="$TOOLS_DIR/src"
K8S_DIR="$TOOLS_DIR/k8s/${KUBERNETES_VERSION}-linux-amd64"
export GOTOOLCHAIN=local CGO_ENABLED=0 GOFLAGS=-mod=mod
export GOPATH="${GOPATH:-$HOME/go}"
mkdir -p "$WORK_DIR" "$K8S_DIR"

log() { printf '[tools] %s\n' "$*" >&2; }

build_kubernetes() {
  if [[ -x "$K8S_DIR/kube-apiserver" && -x "$K8S_DIR/kubectl" && -x "$K8S_DIR/kube-controller-manager" \
    && -x "$K8S_DIR/kube-scheduler" ]]; then
    log "kubernetes v$KUBERNETES_VERSION cached"; return
  fi
  local v="v$KUBERNETES_VERSION" minor
  minor="$(cut -d. -f2 <<<"$KUBERNETES_VERSION")"
  local mod="$WORK_DIR/k8s-$KUBERNETES_VERSION"
  mkdir -p "$mod"
  log "building kube-apiserver, kubectl, kube-controller-manager, kube-scheduler $v (cold: several minutes)"
  local gomod
  gomod="$(cd "$mod" && go mod download -json "k8s.io/kubernetes@$v" | sed -n 's/.*"GoMod": "\(.*\)",*/\1/p')"
  # k8s.io/kubernetes replaces its staging modules with ./staging/..., absent from
  # the module zip; point each one at its published v0.<minor>.<patch> instead.
  local staging
  staging="$(grep -E '^\s+k8s.io/[a-z0-9-]+ v0\.0\.0$' "$gomod" | awk '{print $1}' | sort -u)"
  {
    echo "module local/k8sbin"
    echo
    echo "go 1.24.0"
    echo
    echo "godebug default=go1.24"
    echo
    for m in $staging; do echo "replace $m => $m v0.${KUBERNETES_VERSION#1.}"; done
  } >"$mod/go.mod"
  cat >"$mod/tools.go" <<'GO'
//go:build tools

package tools

import (
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
	_ "k8s.io/kubernetes/cmd/kube-controller-manager"
	_ "k8s.io/kubernetes/cmd/kube-scheduler"
	_ "k8s.io/kubectl/pkg/cmd"
)
GO
  (cd "$mod" && go get "k8s.io/kubernetes@$v" >/dev/null)
  local ld=""
  for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    ld+=" -X $pkg.gitVersion=$v -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor -X $pkg.gitTreeState=clean"
  done
  (cd "$mod" && go build -p 2 -trimpath -ldflags "-s -w $ld" -o "$K8S_DIR/" \
    k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kube-controller-manager \
    k8s.io/kubernetes/cmd/kube-scheduler k8s.io/kubernetes/cmd/kubectl)
}

build_etcd() {
  if [[ -x "$K8S_DIR/etcd" && -f "$K8S_DIR/etcd.version" && "$(cat "$K8S_DIR/etcd.version")" == "$ETCD_VERSION" ]]; then
    log "etcd v$ETCD_VERSION cached"; return
  fi
  local mod="$WORK_DIR/etcd-$ETCD_VERSION"
  mkdir -p "$mod"
  log "building etcd v$ETCD_VERSION"
  printf 'module local/etcdbin\n\ngo 1.24.0\n' >"$mod/go.mod"
  (cd "$mod" && go get "go.etcd.io/etcd/server/v3@v$ETCD_VERSION" >/dev/null)
  (cd "$mod" && go build -p 2 -trimpath -ldflags "-s -w" -o "$K8S_DIR/etcd" go.etcd.io/etcd/server/v3)
  echo "$ETCD_VERSION" >"$K8S_DIR/etcd.version"
}

build_helm() {
  local bin="$TOOLS_DIR/helm/$HELM_VERSION/helm"
  if [[ -x "$bin" ]]; then
    log "helm v$HELM_VERSION cached"; return
  fi
  local mod="$WORK_DIR/helm-$HELM_VERSION"
  mkdir -p "$mod" "$(dirname "$bin")"
  log "building helm v$HELM_VERSION"
  printf 'module local/helmbin\n\ngo 1.24.0\n' >"$mod/go.mod"
  (cd "$mod" && go get "helm.sh/helm/v3@v$HELM_VERSION" >/dev/null)
  (cd "$mod" && go build -p 2 -trimpath \
    -ldflags "-s -w -X helm.sh/helm/v3/internal/version.version=v$HELM_VERSION" \
    -o "$bin" helm.sh/helm/v3/cmd/helm)
}

# The database backends the operator drives: etcd (data and election) and Postgres (data, with
# etcd for the election). The official release images carry both; a plain `make install` neither.
LND_BUILD_TAGS="kvdb_etcd kvdb_postgres"

build_lnd() {
  local dir="$TOOLS_DIR/lnd/$LND_VERSION"
  if [[ -x "$dir/lnd" && -x "$dir/lncli" && -s "$dir/options.tsv" ]] \
    && grep -q '^# tags: release$' "$dir/options.tsv" \
    && [[ "$(cat "$dir/build-tags" 2>/dev/null)" == "$LND_BUILD_TAGS" ]]; then
    log "lnd v$LND_VERSION cached"; return
  fi
  log "building lnd and lncli v$LND_VERSION with -tags \"$LND_BUILD_TAGS\" (cold: several minutes)"
  local src
  src="$(cd "$WORK_DIR" && go mod download -json "github.com/lightningnetwork/lnd@v$LND_VERSION" \
    | sed -n 's/.*"Dir": "\(.*\)",*/\1/p')"
  # Built inside a writable copy of the module so that its own replace directives apply.
  local copy="$WORK_DIR/lnd-$LND_VERSION"
  rm -rf "$copy" && cp -r "$src" "$copy" && chmod -R u+w "$copy"
  mkdir -p "$dir"
  rm -f "$dir/build-tags"
  (cd "$copy" && go build -p 2 -trimpath -tags "$LND_BUILD_TAGS" -ldflags "-s -w" -o "$dir/" \
    ./cmd/lnd ./cmd/lncli)
  echo "$LND_BUILD_TAGS" >"$dir/build-tags"
  # scripts/lnd-options lists every option lnd's parser accepts. It is built inside lnd's module
  # with lnd's release tags (make/release_flags.mk), the build of the official images, so the
  # list holds every option users' lnd may know; the operator checks user settings against it,
  # and a test compares the operator's copy with this one.
  local tags
  tags="$(sed -n 's/^RELEASE_TAGS = //p' "$copy/make/release_flags.mk" | head -n 1)"
  mkdir -p "$copy/cmd/lnc-lnd-options"
  cp "$here/lnd-options/main.go" "$copy/cmd/lnc-lnd-options/main.go"
  (cd "$copy" && go build -p 2 -trimpath -tags "$tags" -ldflags "-s -w" -o "$dir/" \
    ./cmd/lnc-lnd-options)
  { echo "# tags: release"; "$dir/lnc-lnd-options"; } >"$dir/options.tsv"
}

build_btcd() {
  local dir="$TOOLS_DIR/btcd/$BTCD_VERSION"
  if [[ -x "$dir/btcd" && -x "$dir/btcctl" ]]; then
    log "btcd v$BTCD_VERSION cached"; return
  fi
  # The chain lnd is tested against must be the btcd lnd itself is built with.
  local lndmod required
  lndmod="$(cd "$WORK_DIR" && go mod download -json "github.com/lightningnetwork/lnd@v$LND_VERSION" \
    | sed -n 's/.*"GoMod": "\(.*\)",*/\1/p')"
  required="$(awk '$1 == "github.com/btcsuite/btcd" {print $2; exit}' "$lndmod")"
  if [[ "$required" != "v$BTCD_VERSION" ]]; then
    echo "lnd v$LND_VERSION requires btcd $required, versions.env pins v$BTCD_VERSION" >&2
    exit 1
  fi
  local mod="$WORK_DIR/btcd-$BTCD_VERSION"
  mkdir -p "$mod" "$dir"
  log "building btcd and btcctl v$BTCD_VERSION"
  printf 'module local/btcdbin\n\ngo 1.24.0\n' >"$mod/go.mod"
  (cd "$mod" && go get "github.com/btcsuite/btcd@v$BTCD_VERSION" >/dev/null)
  (cd "$mod" && go build -p 2 -trimpath -ldflags "-s -w" -o "$dir/" \
    github.com/btcsuite/btcd github.com/btcsuite/btcd/cmd/btcctl)
}

what="${1:-all}"
start=$(date +%s)
case "$what" in
  k8s) build_kubernetes ;;
  etcd) build_etcd ;;
  helm) build_helm ;;
  lnd) build_lnd ;;
  btcd) build_btcd ;;
  all) build_kubernetes; build_etcd; build_helm; build_lnd; build_btcd ;;
  *) echo "unknown target $what (k8s|etcd|helm|lnd|btcd|all)" >&2; exit 2 ;;
esac
log "done in $(( $(date +%s) - start ))s"
echo "$TOOLS_DIR"
