# scripts/e2e/cluster/node.sh — the real node of scripts/e2e/cluster.sh
# (COMPOSE2K8S_CLUSTER_KUBELET=1): containerd + runc + bridge CNI from Debian,
# kubelet, kube-proxy (iptables) and CoreDNS as host processes. Sourced by
# cluster.sh, which owns the helpers used here (log, die, start_bg, wait_for,
# free_port, port_of, probe, api_apply, ...). See docs/e2e-cluster.md.
#
# Why each setting is there: ../../shared/reference/real-node.md, summed up in
# docs/e2e-cluster.md ("Real node").

NODE_NAME=compose2k8s-node
# The pods' bridge; its address is the node IP, the cluster DNS address, and
# where the apiserver listens, so that pods reach all three.
NODE_BRIDGE=${COMPOSE2K8S_NODE_BRIDGE:-c2k-br0}
# An a.b.c.0/N range; the bridge takes a.b.c.1.
POD_CIDR=${COMPOSE2K8S_NODE_POD_CIDR:-10.245.0.0/24}
NODE_IP=${POD_CIDR%.*}.1
SERVICE_CIDR=10.96.0.0/16
CNI_NETWORK=compose2k8s-e2e
CNI_BIN=/usr/lib/cni
GUARD_CHAIN=C2K-NODE-GUARD
NODE_PACKAGES=(containerd runc containernetworking-plugins iptables busybox-static)
# One real node per machine (the bridge, kube-proxy's iptables chains and the
# /kubepods cgroups are machine-wide): this file names the state dir owning it.
NODE_OWNER=/run/compose2k8s-e2e-node.owner

NODE_DIR=$STATE/node            # everything of the node, removed by down
NODE_RECORD=$NODE_DIR/record    # what up found before changing the host
CONTAINERD_SOCK=$RUN/containerd.sock
# kube-controller-manager would create /usr/libexec/kubernetes/... for flex volumes
NODE_KCM_FLAGS=()
if [[ $KUBELET == 1 ]]; then NODE_KCM_FLAGS=(--flex-volume-plugin-dir="$NODE_DIR/kubelet/volume-plugins"); fi
# The kubelet changes these (and the bridge plugin ip_forward); down puts back
# what it found.
NODE_SYSCTLS=(vm.overcommit_memory vm.panic_on_oom kernel.panic kernel.panic_on_oops
  kernel.keys.root_maxkeys kernel.keys.root_maxbytes net.ipv4.ip_forward
  net.ipv4.conf.all.route_localnet net.bridge.bridge-nf-call-iptables
  net.bridge.bridge-nf-call-ip6tables net.netfilter.nf_conntrack_max)
# Paths the kubelet and containerd create whatever their root dirs say; down
# removes those that did not exist before up.
NODE_HOST_PATHS=(/var/lib/kubelet /var/log/pods /var/log/containers /var/run/netns
  /run/containerd /var/lib/cni /run/xtables.lock)

ctr_() { ctr --address "$CONTAINERD_SOCK" --namespace k8s.io "$@"; }

# apt_install, block_service_start, restore_policy
# shellcheck source=../lib/apt.sh
. "$HERE/lib/apt.sh"

# ------------------------------------------------------------------ install --
node_packages() {
  local missing=() p
  for p in "${NODE_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  ((${#missing[@]} == 0)) && return 0
  log "installing ${missing[*]} with apt-get (service start blocked)"
  trap restore_policy EXIT
  block_service_start
  apt_install "${missing[@]}" || die "could not install ${missing[*]}"
  restore_policy
  trap - EXIT
}

# ------------------------------------------------------------- host record --
node_claim() {
  local owner
  if [[ -f $NODE_OWNER ]]; then
    owner=$(cat "$NODE_OWNER")
    [[ $owner == "$STATE" ]] ||
      die "a real node of another cluster is up (state dir $owner); stop it first: COMPOSE2K8S_CLUSTER_KUBELET=1 COMPOSE2K8S_CLUSTER_DIR=$owner $0 down"
  fi
  ip link show "$NODE_BRIDGE" >/dev/null 2>&1 && [[ ! -f $NODE_OWNER ]] &&
    die "interface $NODE_BRIDGE exists but no cluster owns it (set COMPOSE2K8S_NODE_BRIDGE, or delete it)"
  [[ -d /sys/fs/cgroup/pids/kubepods || -d /sys/fs/cgroup/unified/kubepods ]] && [[ ! -f $NODE_OWNER ]] &&
    die "/sys/fs/cgroup/*/kubepods exists: another kubelet runs on this machine"
  echo "$STATE" >"$NODE_OWNER"
  mkdir -p "$NODE_RECORD"
  local k v p
  : >"$NODE_RECORD/sysctls"
  for k in "${NODE_SYSCTLS[@]}"; do
    v=$(sysctl -n "$k" 2>/dev/null) && printf '%s=%s\n' "$k" "$v" >>"$NODE_RECORD/sysctls"
  done
  : >"$NODE_RECORD/created-paths"
  for p in "${NODE_HOST_PATHS[@]}"; do [[ -e $p ]] || echo "$p" >>"$NODE_RECORD/created-paths"; done
  ls /var/run/netns 2>/dev/null >"$NODE_RECORD/netns" || true
}

# ------------------------------------------------------------------ network --
node_network_up() {
  ip link add "$NODE_BRIDGE" type bridge
  ip addr add "$NODE_IP/${POD_CIDR#*/}" dev "$NODE_BRIDGE"
  ip link set "$NODE_BRIDGE" up
  # Nothing of the pod network leaves through another interface: not from the
  # pod range, not to the pod or service ranges (no masquerading either, see
  # ipMasq in the CNI config). mangle POSTROUTING sees the final addresses and
  # runs before any ACCEPT that kube-proxy or the kubelet add to filter.
  iptables -w -t mangle -N "$GUARD_CHAIN"
  iptables -w -t mangle -A "$GUARD_CHAIN" -o lo -j RETURN
  iptables -w -t mangle -A "$GUARD_CHAIN" -o "$NODE_BRIDGE" -j RETURN
  iptables -w -t mangle -A "$GUARD_CHAIN" -s "$POD_CIDR" -j DROP
  iptables -w -t mangle -A "$GUARD_CHAIN" -d "$POD_CIDR" -j DROP
  iptables -w -t mangle -A "$GUARD_CHAIN" -d "$SERVICE_CIDR" -j DROP
  iptables -w -t mangle -I POSTROUTING 1 -j "$GUARD_CHAIN"
}

# Packets the guard dropped (docs: it should stay 0).
node_guard_drops() {
  iptables -w -t mangle -L "$GUARD_CHAIN" -n -v -x 2>/dev/null | awk '$3 == "DROP" { n += $1 } END { print n + 0 }'
}

# ------------------------------------------------------------------- images --
# The sandbox ("pause") image, FROM scratch: Debian's static busybox with its
# applets as symlinks, pushed with curl to the registry of scripts/e2e/docker.sh
# (no image can be pulled from the internet here). The same layer is also
# tagged as a plain busybox image (no entrypoint) for tests.
node_registry() {
  local env
  if [[ -z ${REGISTRY:-} ]]; then
    env=$(bash "$HERE/docker.sh" env 2>/dev/null) || die "the real node pulls from the registry of scripts/e2e/docker.sh: run 'scripts/e2e/docker.sh up' first (or export REGISTRY)"
    REGISTRY=$(sed -n 's/^REGISTRY=//p' <<<"$env")
  fi
  [[ $REGISTRY =~ ^127\.0\.0\.1:[0-9]+$ ]] || die "REGISTRY must be 127.0.0.1:PORT (got '$REGISTRY')"
  curl -fsS --max-time 5 -o /dev/null "http://$REGISTRY/v2/" || die "registry http://$REGISTRY/v2/ does not answer"
}

# registry_put_blob <repo> <file> <sha256 hex>
registry_put_blob() {
  local repo=$1 file=$2 digest=sha256:$3 loc
  curl -fsS --max-time 10 -o /dev/null -I "http://$REGISTRY/v2/$repo/blobs/$digest" 2>/dev/null && return 0
  loc=$(curl -fsS --max-time 10 -X POST -D - -o /dev/null "http://$REGISTRY/v2/$repo/blobs/uploads/" |
    tr -d '\r' | sed -n 's/^[Ll]ocation: //p')
  [[ -n $loc ]] || die "registry refused an upload to $repo"
  [[ $loc == http* ]] || loc=http://$REGISTRY$loc
  [[ $loc == *\?* ]] && loc+="&digest=$digest" || loc+="?digest=$digest"
  curl -fsS --max-time 60 -X PUT -H 'Content-Type: application/octet-stream' --data-binary "@$file" -o /dev/null "$loc" ||
    die "upload of $digest to $repo failed"
}

# node_images: sets PAUSE_IMAGE (and pushes both tags when missing).
node_images() {
  local tag dir layer sum diffid cfg cfgsum man a
  tag=busybox-$(sha256sum /bin/busybox | cut -c1-12)
  PAUSE_IMAGE=$REGISTRY/compose2k8s-e2e/pause:$tag
  echo "$PAUSE_IMAGE" >"$RUN/pause-image"
  echo "$REGISTRY/compose2k8s-e2e/busybox:$tag" >"$RUN/busybox-image"
  if curl -fsS --max-time 5 -o /dev/null -H 'Accept: application/vnd.oci.image.manifest.v1+json' \
    "http://$REGISTRY/v2/compose2k8s-e2e/pause/manifests/$tag" 2>/dev/null &&
    curl -fsS --max-time 5 -o /dev/null -H 'Accept: application/vnd.oci.image.manifest.v1+json' \
      "http://$REGISTRY/v2/compose2k8s-e2e/busybox/manifests/$tag" 2>/dev/null; then
    return 0
  fi
  dir=$(mktemp -d)
  mkdir -p "$dir/root/bin"
  cp /bin/busybox "$dir/root/bin/busybox"
  for a in $(/bin/busybox --list); do [[ $a == busybox ]] || ln -s busybox "$dir/root/bin/$a"; done
  # reproducible: same busybox, same digests
  tar --sort=name --owner=0 --group=0 --numeric-owner --mtime=@0 -C "$dir/root" -cf "$dir/layer.tar" bin
  diffid=$(sha256sum "$dir/layer.tar" | cut -d' ' -f1)
  gzip -n -9 <"$dir/layer.tar" >"$dir/layer.tgz"
  layer=$(stat -c %s "$dir/layer.tgz")
  sum=$(sha256sum "$dir/layer.tgz" | cut -d' ' -f1)
  local name entry
  for name in pause busybox; do
    case $name in
      pause) entry='"Entrypoint":["/bin/busybox","sleep","2147483647"]' ;;
      busybox) entry='"Cmd":["/bin/sh"]' ;;
    esac
    cfg=$dir/$name.json
    printf '{"architecture":"amd64","os":"linux","config":{%s},"rootfs":{"type":"layers","diff_ids":["sha256:%s"]}}' \
      "$entry" "$diffid" >"$cfg"
    cfgsum=$(sha256sum "$cfg" | cut -d' ' -f1)
    registry_put_blob "compose2k8s-e2e/$name" "$dir/layer.tgz" "$sum"
    registry_put_blob "compose2k8s-e2e/$name" "$cfg" "$cfgsum"
    man=$(printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:%s","size":%s},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"sha256:%s","size":%s}]}' \
      "$cfgsum" "$(stat -c %s "$cfg")" "$sum" "$layer")
    curl -fsS --max-time 10 -X PUT -H 'Content-Type: application/vnd.oci.image.manifest.v1+json' \
      --data-binary "$man" -o /dev/null "http://$REGISTRY/v2/compose2k8s-e2e/$name/manifests/$tag" ||
      die "could not push compose2k8s-e2e/$name:$tag"
  done
  rm -rf "$dir"
  log "pushed $PAUSE_IMAGE and $(cat "$RUN/busybox-image")"
}

# node_kubectl_image: kubectl FROM scratch (the image of compose2k8s's Job waits, --kubectl-image), built from
# the same Kubernetes version as the cluster; its tag names the binary's hash.
node_kubectl_image() {
  local tag dir diffid layer sum cfg cfgsum man
  tag=kubectl-$(sha256sum "$BIN/kubectl" | cut -c1-12)
  echo "$REGISTRY/compose2k8s-e2e/kubectl:$tag" >"$RUN/kubectl-image"
  if curl -fsS --max-time 5 -o /dev/null -H 'Accept: application/vnd.oci.image.manifest.v1+json' \
    "http://$REGISTRY/v2/compose2k8s-e2e/kubectl/manifests/$tag" 2>/dev/null; then
    return 0
  fi
  dir=$(mktemp -d)
  mkdir -p "$dir/root/bin" "$dir/root/tmp"
  cp "$BIN/kubectl" "$dir/root/bin/kubectl"
  tar --sort=name --owner=0 --group=0 --numeric-owner --mtime=@0 -C "$dir/root" -cf "$dir/layer.tar" bin tmp
  diffid=$(sha256sum "$dir/layer.tar" | cut -d' ' -f1)
  gzip -n -6 <"$dir/layer.tar" >"$dir/layer.tgz"
  layer=$(stat -c %s "$dir/layer.tgz")
  sum=$(sha256sum "$dir/layer.tgz" | cut -d' ' -f1)
  cfg=$dir/config.json
  printf '{"architecture":"amd64","os":"linux","config":{"Env":["PATH=/bin","HOME=/tmp"],"Entrypoint":["/bin/kubectl"]},"rootfs":{"type":"layers","diff_ids":["sha256:%s"]}}' "$diffid" >"$cfg"
  cfgsum=$(sha256sum "$cfg" | cut -d' ' -f1)
  registry_put_blob compose2k8s-e2e/kubectl "$dir/layer.tgz" "$sum"
  registry_put_blob compose2k8s-e2e/kubectl "$cfg" "$cfgsum"
  man=$(printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:%s","size":%s},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"sha256:%s","size":%s}]}' \
    "$cfgsum" "$(stat -c %s "$cfg")" "$sum" "$layer")
  curl -fsS --max-time 30 -X PUT -H 'Content-Type: application/vnd.oci.image.manifest.v1+json' \
    --data-binary "$man" -o /dev/null "http://$REGISTRY/v2/compose2k8s-e2e/kubectl/manifests/$tag" ||
    die "could not push compose2k8s-e2e/kubectl:$tag"
  rm -rf "$dir"
  log "pushed $(cat "$RUN/kubectl-image")"
}

# ------------------------------------------------------------------ configs --
node_configs() {
  mkdir -p "$NODE_DIR/cni" "$NODE_DIR/containerd/certs.d/$REGISTRY" "$NODE_DIR/kubelet" "$NODE_DIR/pod-logs"
  cat >"$NODE_DIR/containerd/config.toml" <<EOF
# Written by scripts/e2e/cluster.sh (real node). containerd 1.6 (Debian).
version = 2
root = "$NODE_DIR/containerd/root"
state = "$NODE_DIR/containerd/state"
oom_score = 0
# opt would create /opt/containerd; the others need what this machine lacks
disabled_plugins = ["io.containerd.internal.v1.opt", "io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.devmapper", "io.containerd.snapshotter.v1.zfs", "io.containerd.tracing.processor.v1.otlp"]

[grpc]
  address = "$CONTAINERD_SOCK"
[debug]
  address = ""
[metrics]
  address = ""

[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "$PAUSE_IMAGE"
  # no CAP_SYS_RESOURCE here: a negative OOM score fails every sandbox
  restrict_oom_score_adj = true
  disable_apparmor = true
  enable_selinux = false
  stream_server_address = "127.0.0.1"
  stream_server_port = "0"
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        SystemdCgroup = false
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "$CNI_BIN"
    conf_dir = "$NODE_DIR/cni"
    max_conf_num = 1
  [plugins."io.containerd.grpc.v1.cri".registry]
    config_path = "$NODE_DIR/containerd/certs.d"
EOF
  cat >"$NODE_DIR/containerd/certs.d/$REGISTRY/hosts.toml" <<EOF
server = "http://$REGISTRY"
[host."http://$REGISTRY"]
  capabilities = ["pull", "resolve"]
EOF
  cat >"$NODE_DIR/cni/10-$CNI_NETWORK.conflist" <<EOF
{
  "cniVersion": "1.0.0",
  "name": "$CNI_NETWORK",
  "plugins": [
    {
      "type": "bridge",
      "bridge": "$NODE_BRIDGE",
      "isGateway": true,
      "ipMasq": false,
      "hairpinMode": true,
      "ipam": {
        "type": "host-local",
        "ranges": [[{ "subnet": "$POD_CIDR", "gateway": "$NODE_IP" }]],
        "routes": [{ "dst": "0.0.0.0/0" }],
        "dataDir": "$NODE_DIR/cni-ipam"
      }
    }
  ]
}
EOF
  local kport hport
  kport=$(free_port)
  hport=$(free_port)
  echo "$kport" >"$RUN/kubelet.port"
  echo "$hport" >"$RUN/kubelet-healthz.port"
  cat >"$NODE_DIR/kubelet/config.yaml" <<EOF
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
address: $NODE_IP
port: $kport
readOnlyPort: 0
healthzBindAddress: 127.0.0.1
healthzPort: $hport
tlsCertFile: $PKI/kubelet.crt
tlsPrivateKeyFile: $PKI/kubelet.key
authentication:
  anonymous: {enabled: false}
  webhook: {enabled: false}
  x509: {clientCAFile: $PKI/ca.crt}
# only certificates of this cluster's CA get in; all of them may do anything
authorization: {mode: AlwaysAllow}
containerRuntimeEndpoint: unix://$CONTAINERD_SOCK
cgroupDriver: cgroupfs
failCgroupV1: false
failSwapOn: false
# no CAP_SYS_RESOURCE: the kubelet cannot lower its own OOM score
oomScoreAdj: 0
clusterDNS: [$NODE_IP]
clusterDomain: cluster.local
# pods never see the host's resolver
resolvConf: ""
volumePluginDir: $NODE_DIR/kubelet/volume-plugins
podLogsDir: $NODE_DIR/pod-logs
# a busy shared disk must not evict the test pods
evictionHard: {memory.available: 100Mi, nodefs.available: 1%, nodefs.inodesFree: 1%, imagefs.available: 1%, imagefs.inodesFree: 1%}
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
kernelMemcgNotification: false
EOF
  local pport mport
  pport=$(free_port)
  mport=$(free_port)
  echo "$pport" >"$RUN/kube-proxy.port"
  cat >"$NODE_DIR/kube-proxy.yaml" <<EOF
apiVersion: kubeproxy.config.k8s.io/v1alpha1
kind: KubeProxyConfiguration
clientConnection: {kubeconfig: $RUN/kube-proxy.kubeconfig}
mode: iptables
clusterCIDR: $POD_CIDR
hostnameOverride: $NODE_NAME
bindAddress: $NODE_IP
healthzBindAddress: 127.0.0.1:$pport
metricsBindAddress: 127.0.0.1:$mport
# NodePorts on the bridge address only: reachable from this machine, not from the uplink
nodePortAddresses: [$NODE_IP/32]
iptables: {localhostNodePorts: false}
# 0 = leave the host's conntrack settings alone
conntrack: {maxPerCore: 0, min: 0, tcpEstablishedTimeout: 0s, tcpCloseWaitTimeout: 0s}
EOF
  local rport dhport
  rport=$(free_port)
  dhport=$(free_port)
  echo "$rport" >"$RUN/coredns-ready.port"
  echo "$dhport" >"$RUN/coredns.port"
  # no forward: no query ever leaves the machine
  cat >"$NODE_DIR/Corefile" <<EOF
.:53 {
    bind $NODE_IP
    errors
    health 127.0.0.1:$dhport
    ready 127.0.0.1:$rport
    kubernetes cluster.local in-addr.arpa ip6.arpa {
        kubeconfig $RUN/coredns.kubeconfig compose2k8s-e2e
        pods insecure
    }
    cache 5
}
EOF
}

# ---------------------------------------------------------------- processes --
start_containerd() {
  start_bg containerd /usr/bin/containerd --config "$NODE_DIR/containerd/config.toml" --log-level warn
}
wait_containerd() {
  wait_for containerd "containerd on $CONTAINERD_SOCK" ctr_ version
}

start_coredns() {
  start_bg coredns "$BIN/coredns" -conf "$NODE_DIR/Corefile"
}
wait_coredns() {
  wait_for coredns "CoreDNS /ready" probe "http://127.0.0.1:$(port_of coredns-ready)/ready"
}

start_kubelet() {
  write_kubeconfig "$RUN/kubelet.kubeconfig" "" "system:node:$NODE_NAME" kubelet-client
  start_bg kubelet "$BIN/kubelet" \
    --config="$NODE_DIR/kubelet/config.yaml" \
    --kubeconfig="$RUN/kubelet.kubeconfig" \
    --root-dir="$NODE_DIR/kubelet" \
    --cert-dir="$NODE_DIR/kubelet/pki" \
    --hostname-override="$NODE_NAME" \
    --node-ip="$NODE_IP" \
    --v=1
}
wait_kubelet() {
  wait_for kubelet "kubelet /healthz" probe "http://127.0.0.1:$(cat "$RUN/kubelet-healthz.port")/healthz"
}

start_kube_proxy() {
  write_kubeconfig "$RUN/kube-proxy.kubeconfig" "$RUN/kube-proxy.token" system:kube-proxy
  start_bg kube-proxy "$BIN/kube-proxy" --config="$NODE_DIR/kube-proxy.yaml" --v=1
}
wait_kube_proxy() {
  wait_for kube-proxy "kube-proxy /healthz" probe "http://127.0.0.1:$(port_of kube-proxy)/healthz"
}

# Everything after the control plane: started together, then waited for.
node_up() {
  start_controller_manager
  start_scheduler
  start_containerd
  write_kubeconfig "$RUN/coredns.kubeconfig" "$RUN/coredns.token" coredns
  start_coredns
  wait_containerd
  start_kubelet
  start_kube_proxy
  wait_controller_manager
  wait_scheduler
  wait_coredns
  wait_kubelet
  wait_kube_proxy
  if [[ $WITH_STORAGE == 1 ]]; then
    api_apply /apis/storage.k8s.io/v1/storageclasses/standard "$ASSETS/storageclass.yaml"
  fi
  wait_for kubelet "node $NODE_NAME to become Ready" \
    eval 'api_probe /api/v1/nodes/'"$NODE_NAME"' | tr -d " \n" | grep -q "\"type\":\"Ready\",\"status\":\"True\""'
  wait_for kube-controller-manager "ServiceAccount default/default" \
    api_probe /api/v1/namespaces/default/serviceaccounts/default
}

# ------------------------------------------------------------------ teardown --
# Kill every container of the node through containerd (while it still runs):
# tasks first, then containers; the shims exit with their last task. Records
# the pods' network namespaces for node_cleanup.
node_remove_pods() {
  [[ -S $CONTAINERD_SOCK ]] || return 0
  comp_pid containerd >/dev/null 2>&1 || return 0
  local ids id n=0
  ids=$(ctr_ containers ls -q 2>/dev/null) || return 0
  for id in $ids; do
    ctr_ containers info "$id" 2>/dev/null | grep -o '"/var/run/netns/[^"]*"' | tr -d '"' >>"$NODE_RECORD/netns-used" || true
    ctr_ tasks kill -s SIGKILL "$id" >/dev/null 2>&1 || true
    n=$((n + 1))
  done
  for id in $ids; do
    for _ in $(seq 50); do
      ctr_ tasks delete "$id" >/dev/null 2>&1 && break
      ctr_ tasks ls -q 2>/dev/null | grep -qx "$id" || break
      sleep 0.1
    done
    ctr_ containers delete "$id" >/dev/null 2>&1 || true
  done
  ((n == 0)) || log "removed $n container(s) of the node"
}

# Leftover processes of containerd shims started for our socket (a shim
# outlives containerd), and anything still in the kubelet's pod cgroups.
node_kill_leftovers() {
  local p cmd f pid
  for p in /proc/[0-9]*; do
    [[ $(readlink "$p/exe" 2>/dev/null) == /usr/bin/containerd-shim-runc-v2 ]] || continue
    cmd=$(tr '\0' ' ' <"$p/cmdline" 2>/dev/null) || continue
    [[ $cmd == *"-address $CONTAINERD_SOCK "* || $cmd == *"-address $CONTAINERD_SOCK" ]] || continue
    log "killing leftover shim ${p#/proc/}"
    kill -KILL "${p#/proc/}" 2>/dev/null || true
  done
  for f in $(find /sys/fs/cgroup/pids/kubepods /sys/fs/cgroup/memory/kubepods -name cgroup.procs 2>/dev/null); do
    while read -r pid; do
      [[ -n $pid ]] && kill -KILL "$pid" 2>/dev/null || true
    done <"$f"
  done
}

node_remove_cgroups() {
  local d
  for d in /sys/fs/cgroup/*/kubepods; do
    [[ -d $d ]] || continue
    for _ in 1 2 3 4 5; do
      find "$d" -depth -type d -exec rmdir {} + 2>/dev/null || true
      [[ -d $d ]] || break
      sleep 0.2
    done
    [[ -d $d ]] && log "could not remove cgroup $d"
  done
  return 0
}

# Remove iptables rules and chains: ours, and the KUBE-* ones of kube-proxy
# and the kubelet (jumps from the built-in chains first, then the chains).
node_iptables_cleanup() {
  local cmd t rule chain
  for cmd in iptables ip6tables; do
    command -v "$cmd" >/dev/null || continue
    for t in filter nat mangle; do
      { "$cmd-save" -t "$t" 2>/dev/null || true; } |
        { grep -E '^-A (INPUT|OUTPUT|FORWARD|PREROUTING|POSTROUTING) .*-j (KUBE-[A-Z0-9-]+|'"$GUARD_CHAIN"')( |$)' || true; } |
        while read -r rule; do
          # shellcheck disable=SC2086 # the saved rule is one word list
          eval "$cmd -w -t $t -D ${rule#-A }" 2>/dev/null || true
        done
      for chain in $("$cmd-save" -t "$t" 2>/dev/null | sed -n 's/^:\(KUBE-[A-Z0-9-]*\|'"$GUARD_CHAIN"'\) .*/\1/p'); do
        "$cmd" -w -t "$t" -F "$chain" 2>/dev/null || true
      done
      for chain in $("$cmd-save" -t "$t" 2>/dev/null | sed -n 's/^:\(KUBE-[A-Z0-9-]*\|'"$GUARD_CHAIN"'\) .*/\1/p'); do
        "$cmd" -w -t "$t" -X "$chain" 2>/dev/null || true
      done
    done
  done
}

# After every process is gone: what the node left on the host.
node_cleanup() {
  local m ns k v p owner
  owner=$(cat "$NODE_OWNER" 2>/dev/null || true)
  [[ -d $NODE_DIR || $owner == "$STATE" ]] || return 0
  if [[ -n $owner && $owner != "$STATE" ]]; then
    log "the machine's node belongs to $owner now; only removing $NODE_DIR"
    rm -rf "$NODE_DIR"
    return 0
  fi
  node_kill_leftovers
  # network namespaces of the pods (bind mounts under /var/run/netns)
  {
    cat "$NODE_RECORD/netns-used" 2>/dev/null || true
    for ns in $(ls /var/run/netns 2>/dev/null); do
      grep -qx "$ns" "$NODE_RECORD/netns" 2>/dev/null || echo "/var/run/netns/$ns"
    done
  } | sort -u | while read -r ns; do
    [[ $ns == /var/run/netns/cni-* ]] || continue
    umount "$ns" 2>/dev/null || umount -l "$ns" 2>/dev/null || true
    rm -f "$ns"
  done
  # every mount under the state dir (container rootfs, shm, secret volumes), deepest first
  while read -r m; do
    umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || log "could not unmount $m"
  done < <(awk -v s="$STATE/" 'index($2, s) == 1 { print $2 }' /proc/mounts | sort -r)
  node_remove_cgroups
  ip link del "$NODE_BRIDGE" 2>/dev/null || true
  node_iptables_cleanup
  if [[ -f $NODE_RECORD/sysctls ]]; then
    while IFS='=' read -r k v; do
      [[ -n $k && "$(sysctl -n "$k" 2>/dev/null)" != "$v" ]] || continue
      sysctl -q -w "$k=$v" >/dev/null 2>&1 || log "could not restore $k=$v"
    done <"$NODE_RECORD/sysctls"
  fi
  # what the kubelet, containerd and the CNI plugins created outside the state dir
  rm -f /var/lib/cni/results/"$CNI_NETWORK"-* 2>/dev/null || true
  if [[ -f $NODE_RECORD/created-paths ]]; then
    while read -r p; do
      [[ -n $p && -e $p ]] || continue
      case $p in
        # a shared directory another runtime may use now: only when empty
        /run/containerd | /var/run/netns) rmdir "$p" 2>/dev/null || find "$p" -depth -type d -empty -delete 2>/dev/null || true ;;
        *) rm -rf -- "$p" ;;
      esac
    done <"$NODE_RECORD/created-paths"
  fi
  rm -rf "$NODE_DIR"
  [[ "$(cat "$NODE_OWNER" 2>/dev/null)" == "$STATE" ]] && rm -f "$NODE_OWNER"
  return 0
}
