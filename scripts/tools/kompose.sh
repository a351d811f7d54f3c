#!/usr/bin/env bash
# Build kompose from its Go module, pinned, into the compose2k8s tool cache.
# Prints the absolute binary path as the last line of stdout.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$here/lib.sh"

# The module proxy serves no version list for kompose (@v/list is refused), so
# `@latest` cannot be resolved; v1.38.0 is the newest release it serves.
# kompose's go.mod replaces github.com/openshift/api, so `go install` is
# refused and we build through a wrapper module that copies the replace.
KOMPOSE_MODULE=github.com/kubernetes/kompose
KOMPOSE_VERSION=v1.38.0

tool_init kompose "$KOMPOSE_MODULE" "$KOMPOSE_VERSION"
tool_lock
tool_is_current && tool_done

tool_prepare_wrapper
# main package is at the module root; upstream only stamps the git commit.
tool_build "$KOMPOSE_MODULE" "-X $KOMPOSE_MODULE/pkg/version.GITCOMMIT=$KOMPOSE_VERSION"

verify() {
  local bin=$1 out tmp
  out=$("$bin" version 2>&1) || die "'kompose version' failed: $out"
  log "version: $out"
  [[ "$out" == "${KOMPOSE_VERSION#v}"* ]] || die "unexpected 'kompose version' output: $out"
  tmp=$(mktemp -d)
  printf 'services:\n  web:\n    image: nginx:1.27\n    ports: ["8080:80"]\n' >"$tmp/compose.yaml"
  out=$(cd "$tmp" && "$bin" convert --stdout -f "$tmp/compose.yaml" 2>&1) \
    || { rm -rf "$tmp"; die "'kompose convert --stdout' failed: $out"; }
  rm -rf "$tmp"
  [[ "$out" == *'kind: Deployment'* && "$out" == *'kind: Service'* ]] \
    || die "unexpected 'kompose convert --stdout' output: $out"
  log "verified: version, convert --stdout"
}
verify "$TOOL_TMP_BIN"

tool_install
tool_done
