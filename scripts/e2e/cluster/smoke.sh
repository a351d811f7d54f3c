#!/usr/bin/env bash
# scripts/e2e/cluster/smoke.sh [KUBECONFIG] — check that a cluster from
# scripts/e2e/cluster.sh does what the e2e tests rely on: /readyz, a
# Deployment becoming Available through kwok, a Job completing, a PVC binding
# (when the default StorageClass is there), EndpointSlices, namespace deletion.
# Works in a throwaway namespace; prints one timing line per check.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
export KUBECONFIG=${1:-${KUBECONFIG:?usage: smoke.sh KUBECONFIG}}
KUBECTL=${KUBECTL:-kubectl}
ns=c2k-smoke-$$-$RANDOM
t0=$(date +%s.%N)
k() { "$KUBECTL" --request-timeout=30s "$@"; }
mark() { printf 'smoke: %-42s %6.1fs\n' "$1" "$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { print b - a }')"; }
fail() { echo "smoke: FAILED: $*" >&2; k -n "$ns" get all,pvc,events 2>&1 | tail -40 >&2 || true; exit 1; }
cleanup() { k delete namespace "$ns" --wait=false >/dev/null 2>&1 || true; }
trap cleanup EXIT

[[ "$(k get --raw /readyz)" == ok ]] || fail "/readyz"
mark "/readyz ok"
k create namespace "$ns" >/dev/null
k -n "$ns" apply --server-side --field-manager=c2k-smoke -f "$HERE/smoke.yaml" >/dev/null
mark "server-side apply"
k -n "$ns" wait --for=condition=Available deployment/app --timeout=60s >/dev/null || fail "Deployment not Available"
[[ "$(k -n "$ns" get deployment app -o jsonpath='{.status.availableReplicas}')" == 1 ]] || fail "availableReplicas != 1"
[[ "$(k -n "$ns" get pods -l app=app -o jsonpath='{.items[0].status.phase}')" == Running ]] || fail "pod not Running"
mark "Deployment Available, availableReplicas=1"
k -n "$ns" wait --for=condition=Complete job/migrate --timeout=60s >/dev/null || fail "Job not Complete"
mark "Job Complete"
if [[ -n "$(k get storageclass -o jsonpath='{.items[?(@.metadata.annotations.storageclass\.kubernetes\.io/is-default-class=="true")].metadata.name}')" ]]; then
  k -n "$ns" wait --for=jsonpath='{.status.phase}'=Bound pvc/data --timeout=60s >/dev/null || fail "PVC not Bound"
  mark "PVC Bound"
else
  mark "PVC (no default StorageClass: stays Pending)"
fi
for _ in $(seq 50); do
  [[ -n "$(k -n "$ns" get endpointslices -l kubernetes.io/service-name=app -o jsonpath='{.items[*].endpoints[*].addresses[0]}')" ]] && break
  sleep 0.2
done
[[ -n "$(k -n "$ns" get endpointslices -l kubernetes.io/service-name=app -o jsonpath='{.items[*].endpoints[*].addresses[0]}')" ]] || fail "no EndpointSlice address"
mark "EndpointSlice has the pod"
k delete namespace "$ns" --timeout=90s >/dev/null || fail "namespace deletion"
mark "namespace deleted"
trap - EXIT
echo "smoke: ok"
