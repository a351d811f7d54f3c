#!/usr/bin/env bash
# scripts/e2e/cluster.sh — a real (but kubelet-less) Kubernetes control plane on
# 127.0.0.1 for end-to-end tests of compose2k8s apply/diff/prune/wait.
#
#   cluster.sh up      build what is missing, start etcd, kube-apiserver,
#                      kube-controller-manager, kube-scheduler and kwok; the
#                      LAST line of stdout is the absolute kubeconfig path
#   cluster.sh down    stop exactly the processes `up` started (recorded PIDs)
#   cluster.sh env     print KUBECONFIG=<path> if the cluster is up
#   cluster.sh status  print component PIDs/health; exit 0 only if healthy
#   cluster.sh build   only build/cached binaries (no cluster)
#   cluster.sh apiserver-kill   SIGKILL the running kube-apiserver (fault tests;
#                      etcd and the rest keep running, the state is kept)
#   cluster.sh apiserver-start  start it again on the same port, same
#                      certificates and tokens (the kubeconfig stays valid)
#
# COMPOSE2K8S_CLUSTER_DIR picks the state directory: each one is a separate
# cluster (ports are picked free at random). COMPOSE2K8S_CLUSTER_MINIMAL=1
# starts only etcd and kube-apiserver (no controllers, scheduler, kwok or node:
# enough for apply/diff/prune, not for --wait), in about half the time.
# COMPOSE2K8S_CLUSTER_KUBELET=1 starts a real node instead of kwok (containerd,
# kubelet, kube-proxy, CoreDNS; pods really run, images are pulled from the
# registry of scripts/e2e/docker.sh, which must be up); its default state dir
# is $CACHE/cluster-node, and one such node runs per machine
# (scripts/e2e/cluster/node.sh).
#
# See docs/e2e-cluster.md for versions, flags, timings and limitations.
# Progress goes to stderr; stdout carries only machine-readable results.
set -Eeuo pipefail

# ---------------------------------------------------------------- settings --
K8S_VERSION=${COMPOSE2K8S_K8S_VERSION:-v1.34.4}
ETCD_VERSION=${COMPOSE2K8S_ETCD_VERSION:-v3.6.16}
KWOK_VERSION=${COMPOSE2K8S_KWOK_VERSION:-v0.8.0}
COREDNS_VERSION=${COMPOSE2K8S_COREDNS_VERSION:-v1.15.0}

CACHE=${COMPOSE2K8S_CACHE:-$HOME/.cache/compose2k8s}
BIN=$CACHE/bin
SRC=$CACHE/src
KUBELET=${COMPOSE2K8S_CLUSTER_KUBELET:-0}
if [[ $KUBELET == 1 ]]; then
  STATE=${COMPOSE2K8S_CLUSTER_DIR:-$CACHE/cluster-node}
else
  STATE=${COMPOSE2K8S_CLUSTER_DIR:-$CACHE/cluster}
fi
CACHE=$(realpath -m "$CACHE") BIN=$(realpath -m "$BIN") SRC=$(realpath -m "$SRC") STATE=$(realpath -m "$STATE")
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ASSETS=$HERE/cluster

# Seconds to wait for each component to become healthy.
START_TIMEOUT=${COMPOSE2K8S_CLUSTER_START_TIMEOUT:-90}
# Seconds between SIGTERM and SIGKILL on `down`.
STOP_TIMEOUT=${COMPOSE2K8S_CLUSTER_STOP_TIMEOUT:-15}
# 1 = create a default StorageClass backed by kube-controller-manager's
# hostPath provisioner (PVCs bind; directories appear under /tmp/hostpath_pv).
WITH_STORAGE=${COMPOSE2K8S_CLUSTER_STORAGE:-1}

MINIMAL=${COMPOSE2K8S_CLUSTER_MINIMAL:-0}
if [[ $MINIMAL == 1 && $KUBELET == 1 ]]; then
  echo "[cluster] ERROR: COMPOSE2K8S_CLUSTER_MINIMAL=1 and COMPOSE2K8S_CLUSTER_KUBELET=1 exclude each other" >&2
  exit 2
fi
if [[ $MINIMAL == 1 ]]; then
  COMPONENTS=(etcd kube-apiserver)
elif [[ $KUBELET == 1 ]]; then
  COMPONENTS=(etcd kube-apiserver kube-controller-manager kube-scheduler containerd coredns kubelet kube-proxy)
else
  COMPONENTS=(etcd kube-apiserver kube-controller-manager kube-scheduler kwok)
fi
# What `up` builds: the components, except containerd (a Debian package). The real node also gets kubectl, for
# the image of the init containers that wait for a Job (compose2k8s --kubectl-image; none can be pulled here).
BUILDS=()
for c in "${COMPONENTS[@]}"; do [[ $c == containerd ]] || BUILDS+=("$c"); done
[[ $KUBELET == 1 ]] && BUILDS+=(kubectl)

# ----------------------------------------------------------------- helpers --
log() { printf '[cluster] %s\n' "$*" >&2; }
die() { printf '[cluster] ERROR: %s\n' "$*" >&2; exit 1; }
now() { date +%s.%N; }
# CHILD_CPU := user+sys CPU seconds of all waited-for children of this shell
# (`times` must run in this shell itself, not in a $(...) subshell)
child_cpu() {
  local f
  f=$(mktemp)
  times >"$f"
  CHILD_CPU=$(awk 'NR == 2 { split($1, u, /[ms]/); split($2, s, /[ms]/); print u[1] * 60 + u[2] + s[1] * 60 + s[2] }' "$f")
  rm -f "$f"
}
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }

need_cmd() {
  command -v "$1" >/dev/null 2>&1 && return 0
  case $1 in
    openssl | curl)
      log "$1 missing; installing it with apt-get"
      { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$1"; } >&2 ||
        die "could not install $1"
      ;;
    *) die "required command '$1' not found" ;;
  esac
}

# ------------------------------------------------------------------- build --
# Every binary has a stamp file "$BIN/<name>.stamp" holding what it was built
# from; a binary whose stamp matches is never rebuilt.
stamp_of() {
  case $1 in
    etcd) echo "go.etcd.io/etcd/server/v3@$ETCD_VERSION" ;;
    kwok) echo "sigs.k8s.io/kwok/cmd/kwok@$KWOK_VERSION" ;;
    coredns) echo "github.com/coredns/coredns@$COREDNS_VERSION" ;;
    # "+version": built with the -X version ldflags of hack/lib/version.sh
    kube-* | kubelet | kubectl) echo "k8s.io/kubernetes/cmd/$1@$K8S_VERSION +version" ;;
  esac
}

bin_ok() {
  [[ -x $BIN/$1 && -f $BIN/$1.stamp && "$(cat "$BIN/$1.stamp")" == "$(stamp_of "$1")" ]]
}

is_built() {
  bin_ok "$1" && [[ $1 != kwok || -f $BIN/kwok-stages.yaml ]]
}

# kwok does nothing without Stages. Take the default ones kwokctl would give
# it ("fast" node/pod stages + lease heartbeat) from the pinned kwok module.
write_kwok_stages() {
  local dir=$1 kdir f
  kdir=$(cd "$dir" && go list -m -f '{{.Dir}}' sigs.k8s.io/kwok)
  {
    echo "# Generated by scripts/e2e/cluster.sh from sigs.k8s.io/kwok@$KWOK_VERSION kustomize/stage."
    for f in node/fast/node-initialize.yaml node/heartbeat-with-lease/node-heartbeat-with-lease.yaml \
      pod/fast/pod-ready.yaml pod/fast/pod-complete.yaml pod/fast/pod-delete.yaml; do
      echo "---"
      cat "$kdir/kustomize/stage/$f"
    done
  } >"$BIN/kwok-stages.yaml.tmp"
  mv -f "$BIN/kwok-stages.yaml.tmp" "$BIN/kwok-stages.yaml"
}

go_env() {
  # The toolchain on the machine builds everything; never download another.
  export GOTOOLCHAIN=local CGO_ENABLED=0 GOFLAGS="-mod=mod -buildvcs=false" GOWORK=off
}

# A throwaway main module per upstream module: go.mod, tools.go, go.sum.
# $1 dir, $2 module path, $3 version, $4.. packages to build
write_wrapper() {
  local dir=$1 mod=$2 ver=$3
  shift 3
  mkdir -p "$dir"
  {
    echo "// Code generated by scripts/e2e/cluster.sh; DO NOT EDIT."
    echo "//go:build tools"
    echo
    echo "package tools"
    echo
    echo "import ("
    local p
    for p in "$@"; do echo "	_ \"$p\""; done
    echo ")"
  } >"$dir/tools.go"
  if [[ $mod != k8s.io/kubernetes ]]; then
    printf 'module compose2k8s.local/build\n\ngo 1.24.0\n\nrequire %s %s\n' "$mod" "$ver" >"$dir/go.mod"
    return
  fi
  # k8s.io/kubernetes maps every k8s.io/* staging module to ./staging/...;
  # a dependant must map them to the published v0.X.Y tags instead.
  local upstream staging
  upstream=$(cd "$dir" && GOTOOLCHAIN=local GOFLAGS='' go mod download -json "k8s.io/kubernetes@$ver" |
    sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",\{0,1\}$/\1/p')
  [[ -f $upstream ]] || die "could not download k8s.io/kubernetes@$ver"
  staging="v0.${ver#v1.}"
  {
    echo "module compose2k8s.local/build"
    echo
    grep -E '^go [0-9]' "$upstream"
    grep -E '^godebug ' "$upstream" || true
    echo
    echo "require k8s.io/kubernetes $ver"
    echo
    echo "replace ("
    sed -n 's#^[[:space:]]*\(k8s\.io/[A-Za-z0-9._-]*\)[[:space:]]*=>[[:space:]]*\./staging/.*$#\1#p' "$upstream" |
      while read -r m; do
        # sample-* modules are examples no command imports; some are not
        # published for every release.
        case $m in k8s.io/sample-*) continue ;; esac
        printf '\t%s => %s %s\n' "$m" "$m" "$staging"
      done
    echo ")"
  } >"$dir/go.mod"
}

# What `kubectl version` and discovery report. A module build has no git
# metadata, so set what the release build would (hack/lib/version.sh).
k8s_version_ldflags() {
  local dir=$1 date minor pkg out=""
  date=$(cd "$dir" && go list -m -f '{{.Time.UTC.Format "2006-01-02T15:04:05Z"}}' k8s.io/kubernetes)
  minor=${K8S_VERSION#v1.}
  minor=${minor%%.*}
  for pkg in k8s.io/client-go/pkg/version k8s.io/component-base/version; do
    out+=" -X $pkg.gitVersion=$K8S_VERSION -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor"
    out+=" -X $pkg.gitTreeState=clean -X $pkg.buildDate=$date -X $pkg.gitCommit="
  done
  echo "$out"
}

# $1 wrapper dir; $2.. binary names and packages as name=pkg
build_group() {
  local dir=$1 item name pkg t0 c0 CHILD_CPU ldflags="-s -w"
  shift
  go_env
  (cd "$dir" && go mod tidy) >&2 || die "go mod tidy failed in $dir"
  [[ $(basename "$dir") == kubernetes-* ]] && ldflags+=$(k8s_version_ldflags "$dir")
  for item in "$@"; do
    name=${item%%=*} pkg=${item#*=}
    bin_ok "$name" && continue
    log "building $name ($(stamp_of "$name")) ..."
    t0=$(now)
    child_cpu
    c0=$CHILD_CPU
    (cd "$dir" && go build -trimpath -ldflags "$ldflags" -o "$BIN/$name.tmp" "$pkg") >&2 ||
      die "build of $name failed"
    mv -f "$BIN/$name.tmp" "$BIN/$name"
    stamp_of "$name" >"$BIN/$name.stamp"
    child_cpu
    # date, binary, wall seconds, CPU seconds (user+sys), source, go, cores
    printf '%s\t%s\t%ss\t%scpu\t%s\t%s\t%s\n' "$(date -u +%FT%TZ)" "$name" "$(elapsed "$t0")" \
      "$(awk -v a="$c0" -v b="$CHILD_CPU" 'BEGIN { printf "%.0f", b - a }')" \
      "$(stamp_of "$name")" "$(go env GOVERSION)" "$(nproc)" | tee -a "$CACHE/build-times.tsv" >&2
  done
}

ensure_binaries() {
  local missing=() c
  for c in "${BUILDS[@]}"; do is_built "$c" || missing+=("$c"); done
  ((${#missing[@]} == 0)) && return 0
  need_cmd go
  mkdir -p "$BIN" "$SRC"
  # One build at a time per cache, even across concurrent `up`s.
  exec 8>"$CACHE/.build.lock"
  flock 8
  log "building ${missing[*]} into $BIN (first run only; takes a while on 2 cores)"
  if [[ " ${BUILDS[*]} " == *" etcd "* ]] && ! is_built etcd; then
    write_wrapper "$SRC/etcd-$ETCD_VERSION" go.etcd.io/etcd/server/v3 "$ETCD_VERSION" go.etcd.io/etcd/server/v3
    build_group "$SRC/etcd-$ETCD_VERSION" etcd=go.etcd.io/etcd/server/v3
  fi
  if [[ " ${BUILDS[*]} " == *" kwok "* ]] && ! is_built kwok; then
    write_wrapper "$SRC/kwok-$KWOK_VERSION" sigs.k8s.io/kwok "$KWOK_VERSION" sigs.k8s.io/kwok/cmd/kwok
    build_group "$SRC/kwok-$KWOK_VERSION" kwok=sigs.k8s.io/kwok/cmd/kwok
    write_kwok_stages "$SRC/kwok-$KWOK_VERSION"
  fi
  # One wrapper module for every Kubernetes binary (kubelet and kube-proxy
  # too, whichever mode builds first), so go.mod, go.sum and the Go build
  # cache are shared; build_group builds them one at a time.
  local k8s=() want=()
  for c in kube-apiserver kube-controller-manager kube-scheduler kubelet kube-proxy kubectl; do
    [[ " ${BUILDS[*]} " == *" $c "* ]] && want+=("$c=k8s.io/kubernetes/cmd/$c")
    [[ " ${BUILDS[*]} " == *" $c "* ]] && ! is_built "$c" && k8s+=("$c")
  done
  if ((${#k8s[@]} > 0)); then
    write_wrapper "$SRC/kubernetes-$K8S_VERSION" k8s.io/kubernetes "$K8S_VERSION" \
      k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kube-controller-manager \
      k8s.io/kubernetes/cmd/kube-scheduler k8s.io/kubernetes/cmd/kubelet k8s.io/kubernetes/cmd/kube-proxy \
      k8s.io/kubernetes/cmd/kubectl
    build_group "$SRC/kubernetes-$K8S_VERSION" "${want[@]}"
  fi
  if [[ " ${BUILDS[*]} " == *" coredns "* ]] && ! is_built coredns; then
    write_wrapper "$SRC/coredns-$COREDNS_VERSION" github.com/coredns/coredns "$COREDNS_VERSION" github.com/coredns/coredns
    build_group "$SRC/coredns-$COREDNS_VERSION" coredns=github.com/coredns/coredns
  fi
  flock -u 8
  exec 8>&-
}

cmd_build() {
  ensure_binaries
  local c
  for c in "${BUILDS[@]}"; do log "$c: $BIN/$c ($(cat "$BIN/$c.stamp"))"; done
}


# ------------------------------------------------------------------- state --
KUBECONFIG_FILE=$STATE/kubeconfig
PKI=$STATE/pki
LOGS=$STATE/logs
RUN=$STATE/run          # pid files, ports, tokens of the current run
ADMIN_TOKEN_FILE=$RUN/admin.token

# The real node's part (functions and settings only; used when KUBELET=1,
# and by `down` of a state dir that has a node).
# shellcheck source=cluster/node.sh
. "$HERE/cluster/node.sh"
MODE=kwok
[[ $KUBELET == 1 ]] && MODE=kubelet
[[ $MINIMAL == 1 ]] && MODE=minimal
# Where the apiserver listens: loopback, or the node's bridge so that pods
# reach it through the kubernetes Service.
API_HOST=127.0.0.1
API_SAN=
if [[ $KUBELET == 1 ]]; then
  API_HOST=$NODE_IP
  API_SAN=,IP:$NODE_IP
fi

pidfile() { echo "$RUN/$1.pid"; }

rss_mib() { awk '/^VmRSS:/ { printf "%d", $2 / 1024 }' "/proc/$1/status" 2>/dev/null; }

# "<pid> <starttime>" so a recycled PID is never mistaken for ours.
proc_starttime() { awk '{ print $22 }' "/proc/$1/stat" 2>/dev/null; }

# Succeeds if the recorded process for component $1 is still ours and alive.
comp_pid() {
  local f pid st
  f=$(pidfile "$1")
  [[ -f $f ]] || return 1
  read -r pid st <"$f" || return 1
  [[ -n $pid && -d /proc/$pid ]] || return 1
  [[ "$(proc_starttime "$pid")" == "$st" ]] || return 1
  # a zombie is not alive
  [[ "$(awk '{ print $3 }' "/proc/$pid/stat" 2>/dev/null)" != Z ]] || return 1
  echo "$pid"
}

port_of() { cat "$RUN/$1.port"; }

# A free TCP port on 127.0.0.1 below the ephemeral range, not yet handed out.
free_port() {
  local p used
  used=$({ ss -Hltn 2>/dev/null || true; } | awk '{ n = split($4, a, ":"); print a[n] }')
  for _ in $(seq 200); do
    p=$((20000 + RANDOM % 12000))
    grep -qx "$p" <<<"$used" && continue
    grep -qx "$p" "$RUN/ports" 2>/dev/null && continue
    (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null && continue
    echo "$p" >>"$RUN/ports"
    echo "$p"
    return 0
  done
  die "no free port found"
}

# curl against a component; $1 url, rest extra args. Quiet, short timeouts.
probe() {
  local url=$1
  shift
  curl -fsS --max-time 3 "$@" "$url" 2>/dev/null
}

api_probe() {
  probe "https://$API_HOST:$(port_of kube-apiserver)$1" --cacert "$PKI/ca.crt" \
    -H "Authorization: Bearer $(cat "$ADMIN_TOKEN_FILE")"
}

healthy() {
  local c
  [[ -f $KUBECONFIG_FILE && -f $ADMIN_TOKEN_FILE ]] || return 1
  [[ "$(cat "$RUN/mode" 2>/dev/null)" == "$MODE" ]] || return 1
  for c in "${COMPONENTS[@]}"; do comp_pid "$c" >/dev/null || return 1; done
  [[ "$(api_probe /readyz)" == ok ]]
}

show_log_tail() {
  local f=$LOGS/$1.log
  [[ -f $f ]] || return 0
  printf '[cluster] ---- last 40 lines of %s ----\n' "$f" >&2
  tail -n 40 "$f" >&2
  printf '[cluster] ---- end of %s ----\n' "$f" >&2
}

# A start failed: show why and fail (the EXIT trap of cmd_up stops what this
# run started).
start_failed() {
  local c=$1
  shift
  printf '[cluster] ERROR: %s\n' "$*" >&2
  show_log_tail "$c"
  exit 1
}

# start_bg <component> <binary> <args...>: a new session (so the shell that ran
# `up` can go away) with its log in $LOGS; the PID is recorded at once.
start_bg() {
  local c=$1 pid exe=$2
  shift
  (
    # A daemon must keep no fd of ours: not the flocks (8, 9), not a pipe of
    # whoever ran `up` (else `$(cluster.sh up)` would wait for it to exit).
    for fd in /proc/self/fd/*; do
      fd=${fd##*/}
      ((fd > 2)) && eval "exec $fd>&-" 2>/dev/null
    done
    exec setsid "$@" >"$LOGS/$c.log" 2>&1 </dev/null
  ) &
  pid=$!
  # bash without job control does not make the child a group leader, so
  # setsid execs in place and $! is the component itself.
  echo "$pid $(proc_starttime "$pid")" >"$(pidfile "$c")"
  for _ in $(seq 30); do
    comp_pid "$c" >/dev/null || start_failed "$c" "$c exited right after start"
    [[ "$(readlink "/proc/$pid/exe" 2>/dev/null)" == "$exe" ]] && return 0
    sleep 0.1
  done
  start_failed "$c" "$c: PID $pid is not $exe"
}

# wait_for <component> <description> <command...>
wait_for() {
  local c=$1 what=$2 deadline
  shift 2
  deadline=$((SECONDS + START_TIMEOUT))
  until "$@" >/dev/null 2>&1; do
    comp_pid "$c" >/dev/null || start_failed "$c" "$c exited while waiting for $what"
    ((SECONDS < deadline)) || start_failed "$c" "timed out after ${START_TIMEOUT}s waiting for $what"
    sleep 0.3
  done
}

# ------------------------------------------------------------------- certs --
gen_pki() {
  need_cmd openssl
  mkdir -p "$PKI"
  (
    cd "$PKI"
    umask 077
    local ec=(-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes)
    openssl req -x509 "${ec[@]}" -keyout ca.key -out ca.crt -days 3650 -sha256 \
      -subj "/CN=compose2k8s-e2e-ca" \
      -addext "basicConstraints=critical,CA:TRUE" \
      -addext "keyUsage=critical,keyCertSign,cRLSign,digitalSignature"
    openssl req "${ec[@]}" -keyout apiserver.key -out apiserver.csr -subj "/CN=kube-apiserver"
    cat >apiserver.ext <<EOF
basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=serverAuth
subjectAltName=IP:127.0.0.1,IP:10.96.0.1${API_SAN:-},DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local
EOF
    openssl x509 -req -in apiserver.csr -CA ca.crt -CAkey ca.key -CAcreateserial \
      -out apiserver.crt -days 3650 -sha256 -extfile apiserver.ext
    # client cert of the aggregation layer (--proxy-client-*), trusted via
    # --requestheader-client-ca-file
    openssl req "${ec[@]}" -keyout front-proxy-client.key -out front-proxy-client.csr -subj "/CN=front-proxy-client"
    printf '%s\n' "basicConstraints=critical,CA:FALSE" "keyUsage=critical,digitalSignature" \
      "extendedKeyUsage=clientAuth" >front-proxy-client.ext
    openssl x509 -req -in front-proxy-client.csr -CA ca.crt -CAkey ca.key -CAcreateserial \
      -out front-proxy-client.crt -days 3650 -sha256 -extfile front-proxy-client.ext
    # service-account token signing key pair (RS256)
    openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out sa.key
    openssl pkey -in sa.key -pubout -out sa.pub
    if [[ $KUBELET == 1 ]]; then
      # the kubelet's client (Node authorizer) and serving certificates, and
      # the apiserver's client certificate toward the kubelet
      client_cert kubelet-client "/O=system:nodes/CN=system:node:$NODE_NAME"
      client_cert kube-apiserver-kubelet-client "/O=system:masters/CN=kube-apiserver-kubelet-client"
      openssl req "${ec[@]}" -keyout kubelet.key -out kubelet.csr -subj "/CN=$NODE_NAME"
      printf '%s\n' "basicConstraints=critical,CA:FALSE" "keyUsage=critical,digitalSignature,keyEncipherment" \
        "extendedKeyUsage=serverAuth" "subjectAltName=IP:$NODE_IP,DNS:$NODE_NAME" >kubelet.ext
      openssl x509 -req -in kubelet.csr -CA ca.crt -CAkey ca.key -CAcreateserial \
        -out kubelet.crt -days 3650 -sha256 -extfile kubelet.ext
    fi
    rm -f ./*.csr ./*.ext ca.srl
  ) >"$LOGS/pki.log" 2>&1 || { show_log_tail pki; die "certificate generation failed"; }
}

# client_cert <name> <subject>: <name>.{crt,key} for TLS client authentication
# (run inside $PKI with ec=(...) set, as gen_pki does).
client_cert() {
  openssl req "${ec[@]}" -keyout "$1.key" -out "$1.csr" -subj "$2"
  printf '%s\n' "basicConstraints=critical,CA:FALSE" "keyUsage=critical,digitalSignature" \
    "extendedKeyUsage=clientAuth" >"$1.ext"
  openssl x509 -req -in "$1.csr" -CA ca.crt -CAkey ca.key -CAcreateserial \
    -out "$1.crt" -days 3650 -sha256 -extfile "$1.ext"
}

# token,user,uid,"groups" — every component gets its own identity.
gen_tokens() {
  local t
  : >"$RUN/tokens.csv"
  chmod 600 "$RUN/tokens.csv"
  local who ids=(admin kube-controller-manager kube-scheduler kwok)
  [[ $KUBELET == 1 ]] && ids=(admin kube-controller-manager kube-scheduler kube-proxy coredns)
  for who in "${ids[@]}"; do
    t=$(openssl rand -hex 32)
    echo "$t" >"$RUN/$who.token"
    case $who in
      admin) echo "$t,admin,uid-admin,\"system:masters\"" ;;
      # single instance, own credentials for all controllers: needs everything
      kube-controller-manager) echo "$t,system:kube-controller-manager,uid-kcm,\"system:masters\"" ;;
      # bound by the built-in system:kube-scheduler / system:volume-scheduler roles
      kube-scheduler) echo "$t,system:kube-scheduler,uid-scheduler" ;;
      kwok) echo "$t,kwok,uid-kwok,\"system:masters\"" ;;
      # bound by the built-in system:node-proxier role
      kube-proxy) echo "$t,system:kube-proxy,uid-kube-proxy" ;;
      # reads Services, EndpointSlices, Namespaces, Pods cluster-wide
      coredns) echo "$t,coredns,uid-coredns,\"system:masters\"" ;;
    esac >>"$RUN/tokens.csv"
  done
}

# write_kubeconfig <file> <token file> <user> [<client certificate name in $PKI>]
write_kubeconfig() {
  local cred
  if [[ -n ${4:-} ]]; then
    cred="client-certificate-data: $(base64 -w0 <"$PKI/$4.crt")
    client-key-data: $(base64 -w0 <"$PKI/$4.key")"
  else
    cred="token: $(cat "$2")"
  fi
  cat >"$1" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: compose2k8s-e2e
  cluster:
    server: https://$API_HOST:$(port_of kube-apiserver)
    certificate-authority-data: $(base64 -w0 <"$PKI/ca.crt")
users:
- name: $3
  user:
    $cred
contexts:
- name: compose2k8s-e2e
  context:
    cluster: compose2k8s-e2e
    user: $3
    namespace: default
current-context: compose2k8s-e2e
EOF
  chmod 600 "$1"
}

# --------------------------------------------------------------- components --
start_etcd() {
  local port peer
  port=$(free_port)
  peer=$(free_port)
  echo "$port" >"$RUN/etcd.port"
  start_bg etcd "$BIN/etcd" \
    --name=compose2k8s-e2e \
    --data-dir="$STATE/etcd" \
    --listen-client-urls="http://127.0.0.1:$port" \
    --advertise-client-urls="http://127.0.0.1:$port" \
    --listen-peer-urls="http://127.0.0.1:$peer" \
    --initial-advertise-peer-urls="http://127.0.0.1:$peer" \
    --initial-cluster="compose2k8s-e2e=http://127.0.0.1:$peer" \
    --initial-cluster-state=new \
    --unsafe-no-fsync=true \
    --quota-backend-bytes=2147483648 \
    --log-level=warn
  wait_for etcd "etcd /health on 127.0.0.1:$port" \
    bash -c "curl -fsS --max-time 3 http://127.0.0.1:$port/health | grep -q '\"health\":\"true\"'"
}

# start_apiserver [port]: a new free port unless one is given (a restart).
start_apiserver() {
  local port=${1:-}
  [[ -n $port ]] || port=$(free_port)
  echo "$port" >"$RUN/kube-apiserver.port"
  local mode=()
  if [[ $KUBELET == 1 ]]; then
    # A real node: the apiserver reaches the kubelet (logs, exec,
    # port-forward) with a client certificate, at the node's InternalIP (the
    # bridge address), and pods reach the apiserver through the kubernetes
    # Service, whose endpoint is the advertised bridge address. Everything
    # "in the cluster" is on the bridge, which never leaves this machine, so
    # no egress restriction is needed.
    mode=(--advertise-address="$NODE_IP" --bind-address="$NODE_IP"
      --authorization-mode=Node,RBAC
      --kubelet-client-certificate="$PKI/kube-apiserver-kubelet-client.crt"
      --kubelet-client-key="$PKI/kube-apiserver-kubelet-client.key"
      --kubelet-certificate-authority="$PKI/ca.crt"
      --kubelet-preferred-address-types=InternalIP)
  else
    mode=(--advertise-address=127.0.0.1 --bind-address=127.0.0.1
      --authorization-mode=RBAC --endpoint-reconciler-type=none
      --egress-selector-config-file="$RUN/egress-selector.yaml")
  fi
  # Nodes and pods are fake (node IP 127.0.0.1, pod IPs from kwok's --cidr):
  # whatever the apiserver would dial "in the cluster" (pods/proxy,
  # services/proxy, logs/exec/port-forward via the kubelet, service webhooks)
  # goes through an HTTP-CONNECT proxy on a Unix socket that never exists,
  # so such requests fail at once and no packet leaves the machine.
  cat >"$RUN/egress-selector.yaml" <<EOF
apiVersion: apiserver.k8s.io/v1beta1
kind: EgressSelectorConfiguration
egressSelections:
- name: cluster
  connection:
    proxyProtocol: HTTPConnect
    transport:
      uds:
        udsName: $RUN/no-cluster-egress.sock
EOF
  start_bg kube-apiserver "$BIN/kube-apiserver" \
    "${mode[@]}" \
    --secure-port="$port" \
    --cert-dir="$STATE/apiserver" \
    --tls-cert-file="$PKI/apiserver.crt" \
    --tls-private-key-file="$PKI/apiserver.key" \
    --client-ca-file="$PKI/ca.crt" \
    --requestheader-client-ca-file="$PKI/ca.crt" \
    --requestheader-allowed-names=front-proxy-client \
    --requestheader-username-headers=X-Remote-User \
    --requestheader-group-headers=X-Remote-Group \
    --requestheader-extra-headers-prefix=X-Remote-Extra- \
    --proxy-client-cert-file="$PKI/front-proxy-client.crt" \
    --proxy-client-key-file="$PKI/front-proxy-client.key" \
    --token-auth-file="$RUN/tokens.csv" \
    --etcd-servers="http://127.0.0.1:$(port_of etcd)" \
    --service-account-issuer=https://kubernetes.default.svc.cluster.local \
    --service-account-key-file="$PKI/sa.pub" \
    --service-account-signing-key-file="$PKI/sa.key" \
    --service-cluster-ip-range=10.96.0.0/16 \
    --allow-privileged=true \
    --profiling=false \
    --v=1
  wait_for kube-apiserver "kube-apiserver /readyz on $API_HOST:$port" \
    bash -c "[[ \"\$(curl -fsS --max-time 3 --cacert '$PKI/ca.crt' -H 'Authorization: Bearer $(cat "$ADMIN_TOKEN_FILE")' https://$API_HOST:$port/readyz)\" == ok ]]"
}

start_controller_manager() {
  local port kubeconfig=$RUN/kube-controller-manager.kubeconfig
  port=$(free_port)
  echo "$port" >"$RUN/kube-controller-manager.port"
  write_kubeconfig "$kubeconfig" "$RUN/kube-controller-manager.token" system:kube-controller-manager
  start_bg kube-controller-manager "$BIN/kube-controller-manager" \
    --kubeconfig="$kubeconfig" \
    --authentication-kubeconfig="$kubeconfig" \
    --authorization-kubeconfig="$kubeconfig" \
    --bind-address=127.0.0.1 \
    --secure-port="$port" \
    --cert-dir="$STATE/kube-controller-manager" \
    --leader-elect=false \
    --use-service-account-credentials=false \
    --controllers="*,-service-lb-controller,-node-route-controller,-cloud-node-lifecycle-controller,-node-ipam-controller" \
    --root-ca-file="$PKI/ca.crt" \
    --service-account-private-key-file="$PKI/sa.key" \
    --cluster-signing-cert-file="$PKI/ca.crt" \
    --cluster-signing-key-file="$PKI/ca.key" \
    --service-cluster-ip-range=10.96.0.0/16 \
    --enable-hostpath-provisioner=true \
    ${NODE_KCM_FLAGS[@]+"${NODE_KCM_FLAGS[@]}"} \
    --kube-api-qps=100 --kube-api-burst=200 \
    --profiling=false \
    --v=1
}

wait_controller_manager() {
  wait_for kube-controller-manager "kube-controller-manager /healthz" \
    probe "https://127.0.0.1:$(port_of kube-controller-manager)/healthz" -k
}

start_scheduler() {
  local port kubeconfig=$RUN/kube-scheduler.kubeconfig
  port=$(free_port)
  echo "$port" >"$RUN/kube-scheduler.port"
  write_kubeconfig "$kubeconfig" "$RUN/kube-scheduler.token" system:kube-scheduler
  start_bg kube-scheduler "$BIN/kube-scheduler" \
    --kubeconfig="$kubeconfig" \
    --authentication-kubeconfig="$kubeconfig" \
    --authorization-kubeconfig="$kubeconfig" \
    --bind-address=127.0.0.1 \
    --secure-port="$port" \
    --leader-elect=false \
    --profiling=false \
    --v=1
}

wait_scheduler() {
  wait_for kube-scheduler "kube-scheduler /healthz" \
    probe "https://127.0.0.1:$(port_of kube-scheduler)/healthz" -k
}

start_kwok() {
  local port kubeconfig=$RUN/kwok.kubeconfig stages=${COMPOSE2K8S_KWOK_STAGES:-$BIN/kwok-stages.yaml}
  port=$(free_port)
  echo "$port" >"$RUN/kwok.port"
  write_kubeconfig "$kubeconfig" "$RUN/kwok.token" kwok
  start_bg kwok "$BIN/kwok" \
    --config="$stages" \
    --kubeconfig="$kubeconfig" \
    --manage-all-nodes=false \
    --manage-nodes-with-annotation-selector=kwok.x-k8s.io/node=fake \
    --node-lease-duration-seconds=40 \
    --cidr=10.244.0.0/16 \
    --node-ip=127.0.0.1 \
    --server-address="127.0.0.1:$port"
}

wait_kwok() {
  wait_for kwok "kwok /healthz" probe "http://127.0.0.1:$(port_of kwok)/healthz"
}

# Server-side apply of one object from a YAML file, by curl: $1 API path of
# the object, $2 file.
api_apply() {
  local code
  echo "PATCH $1 <- $2" >>"$LOGS/bootstrap.log"
  code=$(curl -sS --max-time 10 -o "$LOGS/bootstrap.last" -w '%{http_code}' -X PATCH \
    --cacert "$PKI/ca.crt" -H "Authorization: Bearer $(cat "$ADMIN_TOKEN_FILE")" \
    -H "Content-Type: application/apply-patch+yaml" --data-binary "@$2" \
    "https://$API_HOST:$(port_of kube-apiserver)$1?fieldManager=compose2k8s-e2e-cluster&force=true" \
    2>>"$LOGS/bootstrap.log") || code=000
  { cat "$LOGS/bootstrap.last"; echo; echo "HTTP $code"; } >>"$LOGS/bootstrap.log"
  rm -f "$LOGS/bootstrap.last"
  [[ $code == 2?? ]] || start_failed bootstrap "could not apply $2 to $1 (HTTP $code)"
}

# One fake node, managed by kwok (annotation), untainted so that any workload
# schedules on it; optionally a default StorageClass.
create_node_and_defaults() {
  api_apply /api/v1/nodes/kwok-node-0 "$ASSETS/node.yaml"
  if [[ $WITH_STORAGE == 1 ]]; then
    api_apply /apis/storage.k8s.io/v1/storageclasses/standard "$ASSETS/storageclass.yaml"
  fi
  # (curl gets pretty JSON; NodeCondition serialises type before status)
  wait_for kwok "node kwok-node-0 to become Ready" \
    eval 'api_probe /api/v1/nodes/kwok-node-0 | tr -d " \n" | grep -q "\"type\":\"Ready\",\"status\":\"True\""'
  # The ServiceAccount admission plugin rejects pods until this exists.
  wait_for kube-controller-manager "ServiceAccount default/default" \
    api_probe /api/v1/namespaces/default/serviceaccounts/default
}

# hostPath PVs of the provisioner live under /tmp/hostpath_pv/<uuid>; remove
# the directories of this cluster's PVs (while the apiserver still answers).
remove_pv_dirs() {
  local d
  [[ -f $ADMIN_TOKEN_FILE && -f $RUN/kube-apiserver.port ]] || return 0
  for d in $(api_probe /api/v1/persistentvolumes | tr -d ' \n' | grep -o '"path":"/tmp/hostpath_pv/[0-9a-f-]*"' |
    sed 's/.*"\(\/tmp\/hostpath_pv\/[0-9a-f-]*\)"$/\1/'); do
    [[ $d =~ ^/tmp/hostpath_pv/[0-9a-f-]+$ && -d $d ]] && rm -rf -- "$d"
  done
  return 0
}

# ---------------------------------------------------------------- commands --
stop_all() {
  local c pid pids=() deadline stopped=0 group
  # the mode of what runs there, not of this invocation
  local API_HOST
  API_HOST=$(cat "$RUN/api-host" 2>/dev/null || echo 127.0.0.1)
  comp_pid kube-apiserver >/dev/null 2>&1 && remove_pv_dirs
  # stop in reverse start order, dependants first, each group TERM -> KILL;
  # a real node's containers go while containerd still runs
  for group in "kube-proxy kubelet coredns kwok kube-scheduler kube-controller-manager" node-pods containerd \
    "kube-apiserver" "etcd"; do
    if [[ $group == node-pods ]]; then
      node_remove_pods
      continue
    fi
    pids=()
    for c in $group; do
      if pid=$(comp_pid "$c"); then
        log "stopping $c (pid $pid)"
        kill -TERM "$pid" 2>/dev/null || true
        pids+=("$c:$pid")
        stopped=$((stopped + 1))
      fi
      rm -f "$(pidfile "$c")" 2>/dev/null || true
    done
    deadline=$((SECONDS + STOP_TIMEOUT))
    for item in "${pids[@]}"; do
      c=${item%%:*} pid=${item#*:}
      while [[ -d /proc/$pid && "$(awk '{ print $3 }' "/proc/$pid/stat" 2>/dev/null)" != Z ]]; do
        if ((SECONDS >= deadline)); then
          log "$c (pid $pid) ignored SIGTERM for ${STOP_TIMEOUT}s; sending SIGKILL"
          kill -KILL "$pid" 2>/dev/null || true
          break
        fi
        sleep 0.2
      done
    done
  done
  ((stopped > 0)) || log "nothing was running"
  node_cleanup
  # runtime data goes; logs stay for post-mortems until the next `up`
  rm -rf "$RUN" "$PKI" "$STATE/etcd" "$STATE/apiserver" "$STATE/kube-controller-manager" "$KUBECONFIG_FILE"
}

with_lock() {
  mkdir -p "$(dirname "$STATE")"
  exec 9>"$STATE.flock"
  flock -w 600 9 || die "timed out waiting for the lock $STATE.flock"
}

cmd_up() {
  local t0 c
  t0=$(now)
  need_cmd curl
  [[ $MODE == kubelet ]] && node_packages
  ensure_binaries
  with_lock
  if healthy; then
    log "already up"
    echo "$KUBECONFIG_FILE"
    return 0
  fi
  if [[ -d $RUN || -d $NODE_DIR ]]; then
    log "found a stale or unhealthy cluster in $STATE; cleaning it up first"
    stop_all
  fi
  rm -rf "$LOGS"
  mkdir -p "$STATE" "$RUN" "$LOGS"
  # Interrupted or failed half-way: stop whatever was started already.
  trap 'rc=$?; trap - EXIT; if ((rc != 0)); then log "up failed; stopping what it started"; stop_all || true; log "logs kept in $LOGS"; fi; exit $rc' EXIT
  trap 'exit 130' INT TERM
  echo "$MODE" >"$RUN/mode"
  echo "$API_HOST" >"$RUN/api-host"
  gen_pki
  gen_tokens
  if [[ $MODE == kubelet ]]; then
    # the bridge first: the apiserver listens on its address
    node_registry
    node_claim
    node_network_up
    node_images
    node_kubectl_image
    node_configs
  fi
  start_etcd
  start_apiserver
  write_kubeconfig "$KUBECONFIG_FILE.tmp" "$ADMIN_TOKEN_FILE" admin
  mv -f "$KUBECONFIG_FILE.tmp" "$KUBECONFIG_FILE"
  if [[ $MODE == kubelet ]]; then
    node_up
  elif [[ $MINIMAL != 1 ]]; then
    # these three only need the apiserver: start together, then wait for each
    start_controller_manager
    start_scheduler
    start_kwok
    wait_controller_manager
    wait_scheduler
    wait_kwok
    create_node_and_defaults
  fi
  log "up in $(elapsed "$t0")s: kube-apiserver https://$API_HOST:$(port_of kube-apiserver), logs in $LOGS"
  for c in "${COMPONENTS[@]}"; do
    log "  $c pid $(comp_pid "$c") rss $(rss_mib "$(comp_pid "$c")") MiB"
  done
  trap - EXIT INT TERM
  echo "$KUBECONFIG_FILE"
}

cmd_down() {
  with_lock
  if [[ ! -d $STATE ]]; then
    log "nothing to stop"
    return 0
  fi
  stop_all
  log "down"
}

# Fault tests: kill the apiserver the hard way (no graceful shutdown), by its
# recorded PID; etcd and the other components keep running.
cmd_apiserver_kill() {
  local pid
  with_lock
  pid=$(comp_pid kube-apiserver) || die "kube-apiserver is not running (state dir $STATE)"
  log "killing kube-apiserver (pid $pid) with SIGKILL"
  kill -KILL "$pid"
  for _ in $(seq 100); do
    comp_pid kube-apiserver >/dev/null || return 0
    sleep 0.1
  done
  die "kube-apiserver (pid $pid) is still there 10s after SIGKILL"
}

# Start the apiserver again on its old port (so the kubeconfig stays valid).
cmd_apiserver_start() {
  local t0
  t0=$(now)
  with_lock
  [[ -f $RUN/kube-apiserver.port && -f $ADMIN_TOKEN_FILE ]] || die "no cluster state in $STATE (run up first)"
  comp_pid etcd >/dev/null || die "etcd is not running (state dir $STATE); run down and up"
  if comp_pid kube-apiserver >/dev/null; then
    log "kube-apiserver is already running"
    return 0
  fi
  [[ -f $LOGS/kube-apiserver.log ]] && mv -f "$LOGS/kube-apiserver.log" "$LOGS/kube-apiserver.previous.log"
  start_apiserver "$(port_of kube-apiserver)"
  log "kube-apiserver ready again in $(elapsed "$t0")s on https://127.0.0.1:$(port_of kube-apiserver) (pid $(comp_pid kube-apiserver))"
}

cmd_env() {
  if healthy; then
    echo "KUBECONFIG=$KUBECONFIG_FILE"
  else
    log "cluster is not up (state dir $STATE)"
    return 1
  fi
}

cmd_status() {
  local c pid rc=0
  for c in "${COMPONENTS[@]}"; do
    if pid=$(comp_pid "$c"); then
      printf '%-24s pid %-8s rss %6s MiB\n' "$c" "$pid" "$(rss_mib "$pid")"
    else
      printf '%-24s not running\n' "$c"
      rc=1
    fi
  done
  if ((rc == 0)) && [[ "$(api_probe /readyz)" == ok ]]; then
    echo "readyz ok; KUBECONFIG=$KUBECONFIG_FILE"
  else
    rc=1
  fi
  return $rc
}

case ${1:-} in
  up) cmd_up ;;
  down) cmd_down ;;
  env) cmd_env ;;
  status) cmd_status ;;
  build) cmd_build ;;
  apiserver-kill) cmd_apiserver_kill ;;
  apiserver-start) cmd_apiserver_start ;;
  *)
    echo "usage: $0 up|down|env|status|build|apiserver-kill|apiserver-start" >&2
    exit 2
    ;;
esac
