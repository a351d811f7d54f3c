#!/usr/bin/env bash
# Build helm v3 from its Go module, pinned, into the compose2k8s tool cache.
# Prints the absolute binary path as the last line of stdout.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$here/lib.sh"

HELM_MODULE=helm.sh/helm/v3
HELM_VERSION=v3.22.0

tool_init helm "$HELM_MODULE" "$HELM_VERSION"
tool_lock
tool_is_current && tool_done

tool_prepare_wrapper

# Same ldflags as upstream's Makefile for a tagged release: stamp the version
# and derive the default Kubernetes version (.Capabilities.KubeVersion, used by
# `helm template`/`helm lint`) from the client-go version helm is built with.
client_go=$(tool_dep_version k8s.io/client-go) || die "cannot resolve k8s.io/client-go version"
client_go=${client_go#v}
k8s_major=$((${client_go%%.*} + 1))
k8s_minor=$(cut -d. -f2 <<<"$client_go")
log "k8s.io/client-go v$client_go -> default kube version v$k8s_major.$k8s_minor"
tool_build "$HELM_MODULE/cmd/helm" \
  "-X $HELM_MODULE/internal/version.version=$HELM_VERSION" \
  "-X $HELM_MODULE/internal/version.metadata=" \
  "-X $HELM_MODULE/pkg/lint/rules.k8sVersionMajor=$k8s_major" \
  "-X $HELM_MODULE/pkg/lint/rules.k8sVersionMinor=$k8s_minor" \
  "-X $HELM_MODULE/pkg/chartutil.k8sVersionMajor=$k8s_major" \
  "-X $HELM_MODULE/pkg/chartutil.k8sVersionMinor=$k8s_minor"

verify() {
  local bin=$1 out tmp
  tmp=$(mktemp -d)
  # Keep helm's config/cache/data out of the user's home during verification.
  export HELM_CONFIG_HOME="$tmp/config" HELM_CACHE_HOME="$tmp/cache" HELM_DATA_HOME="$tmp/data"
  out=$("$bin" version --short 2>&1) || { rm -rf "$tmp"; die "'helm version' failed: $out"; }
  log "version: $out"
  [[ "$out" == "$HELM_VERSION"* ]] || { rm -rf "$tmp"; die "unexpected 'helm version' output: $out"; }

  mkdir -p "$tmp/chart/templates"
  cat >"$tmp/chart/Chart.yaml" <<'YAML'
apiVersion: v2
name: verify
description: Trivial chart used to verify the helm build
version: 0.1.0
icon: https://example.invalid/icon.png
YAML
  printf 'message: hello\n' >"$tmp/chart/values.yaml"
  cat >"$tmp/chart/templates/configmap.yaml" <<'YAML'
apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ .Release.Name }}-verify
data:
  message: {{ .Values.message | quote }}
  kube: {{ .Capabilities.KubeVersion.Version | quote }}
YAML
  out=$("$bin" lint --strict "$tmp/chart" 2>&1) || { rm -rf "$tmp"; die "'helm lint' failed: $out"; }
  log "lint: $(tr '\n' ' ' <<<"$out")"
  out=$("$bin" template r "$tmp/chart" 2>&1) || { rm -rf "$tmp"; die "'helm template' failed: $out"; }
  [[ "$out" == *'message: "hello"'* ]] || { rm -rf "$tmp"; die "unexpected 'helm template' output: $out"; }
  log "template kube version: $(grep 'kube:' <<<"$out" | tr -d ' ')"
  rm -rf "$tmp"
  log "verified: version, lint --strict, template"
}
verify "$TOOL_TMP_BIN"

tool_install
tool_done
