#!/usr/bin/env bash
# Private Docker engine + image registry for compose2k8s end-to-end tests.
#
#   scripts/e2e/docker.sh up     install (if missing) and start dockerd + registry; idempotent
#   scripts/e2e/docker.sh down   stop what `up` started, by recorded PID; idempotent
#   scripts/e2e/docker.sh env    print the two env lines if running (exit 1 otherwise)
#   scripts/e2e/docker.sh status print a short status (exit 0 up, 1 down)
#   scripts/e2e/docker.sh purge  down, unmount what the engine left mounted, delete the state dir
#                                (only for a COMPOSE2K8S_DOCKER_DIR instance, never the default one)
#
# stdout of `up` and `env` is exactly two lines (progress goes to stderr):
#   DOCKER_HOST=unix://<state>/docker.sock
#   REGISTRY=127.0.0.1:<port>
# so `export $(scripts/e2e/docker.sh up)` or `eval "export $(scripts/e2e/docker.sh env)"` work.
#
# Environment:
#   COMPOSE2K8S_DOCKER_DIR        state dir (default $HOME/.cache/compose2k8s/docker)
#   COMPOSE2K8S_REGISTRY_PORT     preferred registry port (default 5000; a free one is picked if busy)
#   COMPOSE2K8S_DOCKER_STORAGE    dockerd storage driver (default overlay2; vfs is the slow fallback)
#   COMPOSE2K8S_DOCKER_NO_INSTALL set to 1 to never call apt-get (fail if binaries are missing)
#
# See docs/e2e-docker.md for flags, versions, limitations and measured times.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
STATE="${COMPOSE2K8S_DOCKER_DIR:-${HOME:-/root}/.cache/compose2k8s/docker}"
PREF_PORT="${COMPOSE2K8S_REGISTRY_PORT:-5000}"
STORAGE_DRIVER="${COMPOSE2K8S_DOCKER_STORAGE:-overlay2}"

SOCK="$STATE/docker.sock"
DATA_ROOT="$STATE/data"
EXEC_ROOT="$STATE/exec"
DOCKERD_PID="$STATE/dockerd.pid"
DOCKERD_LOG="$STATE/dockerd.log"
DAEMON_JSON="$STATE/daemon.json"
REG_ROOT="$STATE/registry"
REG_CONF="$STATE/registry.yml"
REG_PID="$STATE/registry.pid"
REG_LOG="$STATE/registry.log"
REG_PORT_FILE="$STATE/registry.port"
LOCK="$STATE/.lock"

DOCKERD_BIN=/usr/sbin/dockerd
REGISTRY_BIN=/usr/bin/docker-registry
BUSYBOX_BIN=/bin/busybox
PACKAGES=(docker.io docker-registry busybox-static curl)

log() { printf '[e2e-docker] %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

# ---------------------------------------------------------------- process helpers

# pid_alive PIDFILE NAME -> prints pid and returns 0 if the recorded pid runs a binary named NAME
pid_alive() {
  local file="$1" name="$2" pid exe
  [[ -s "$file" ]] || return 1
  pid="$(tr -dc '0-9' <"$file")"
  [[ -n "$pid" ]] || return 1
  [[ -d "/proc/$pid" ]] || return 1
  # guard against pid reuse: the executable must be the one we started
  exe="$(readlink "/proc/$pid/exe" 2>/dev/null || true)"
  exe="${exe% (deleted)}"
  [[ "$(basename "$exe")" == "$name" ]] || return 1
  # zombies count as dead
  [[ "$(awk '/^State:/{print $2}' "/proc/$pid/status" 2>/dev/null)" != Z ]] || return 1
  printf '%s' "$pid"
}

# stop_pid PID LABEL [GRACE_SECONDS]
stop_pid() {
  local pid="$1" label="$2" grace="${3:-20}" i
  [[ -d "/proc/$pid" ]] || return 0
  log "stopping $label (pid $pid)"
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < grace * 10; i++)); do
    [[ -d "/proc/$pid" ]] || return 0
    [[ "$(awk '/^State:/{print $2}' "/proc/$pid/status" 2>/dev/null)" != Z ]] || return 0
    sleep 0.1
  done
  log "$label (pid $pid) did not exit after ${grace}s, sending KILL"
  kill -KILL "$pid" 2>/dev/null || true
  for ((i = 0; i < 50; i++)); do
    [[ -d "/proc/$pid" ]] || return 0
    sleep 0.1
  done
}

docker_ready() {
  [[ -S "$SOCK" ]] || return 1
  [[ "$(curl -fsS --max-time 3 --unix-socket "$SOCK" http://localhost/_ping 2>/dev/null)" == OK ]]
}

registry_ready() {
  local port="$1"
  curl -fsS --max-time 3 -o /dev/null "http://127.0.0.1:$port/v2/" 2>/dev/null
}

port_in_use() {
  # connect succeeds => something listens there
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

print_env() {
  printf 'DOCKER_HOST=unix://%s\n' "$SOCK"
  printf 'REGISTRY=127.0.0.1:%s\n' "$(cat "$REG_PORT_FILE")"
}

is_up() {
  local port
  pid_alive "$DOCKERD_PID" dockerd >/dev/null || return 1
  pid_alive "$REG_PID" docker-registry >/dev/null || return 1
  [[ -s "$REG_PORT_FILE" ]] || return 1
  port="$(cat "$REG_PORT_FILE")"
  docker_ready && registry_ready "$port"
}

with_lock() {
  mkdir -p "$STATE"
  exec 9>"$LOCK"
  if ! flock -w 300 9; then die "could not take $LOCK within 300s"; fi
}

# ---------------------------------------------------------------- install

# apt_install, block_service_start, restore_policy
# shellcheck source=lib/apt.sh
. "$HERE/lib/apt.sh"

ensure_installed() {
  local missing=() p
  for p in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  if [[ ${#missing[@]} -eq 0 && -x "$DOCKERD_BIN" && -x "$REGISTRY_BIN" && -x "$BUSYBOX_BIN" ]]; then
    return 0
  fi
  [[ "${COMPOSE2K8S_DOCKER_NO_INSTALL:-0}" != 1 ]] || die "missing packages: ${missing[*]} (COMPOSE2K8S_DOCKER_NO_INSTALL=1)"
  [[ "$(id -u)" == 0 ]] || die "installing ${missing[*]} needs root"
  [[ ${#missing[@]} -gt 0 ]] || missing=("${PACKAGES[@]}")
  log "installing ${missing[*]} (apt-get, non-interactive, service start blocked)"
  local t0=$SECONDS
  trap restore_policy EXIT
  block_service_start
  apt_install "${missing[@]}"
  restore_policy
  trap - EXIT
  log "installed in $((SECONDS - t0))s"
  # In case some init system did start the packaged daemons anyway, stop them: they would
  # fight over /var/run/docker.sock and port 5000. (No systemd in this sandbox, so this is a no-op.)
  if command -v systemctl >/dev/null 2>&1 && [[ -d /run/systemd/system ]]; then
    systemctl disable --now docker.service docker.socket docker-registry.service >/dev/null 2>&1 || true
  fi
}

# ---------------------------------------------------------------- start

start_dockerd() {
  local old i
  if old="$(pid_alive "$DOCKERD_PID" dockerd)"; then
    # ours and alive: give a busy (or still starting) daemon 30s before calling it stale
    for ((i = 0; i < 30; i++)); do
      docker_ready && return 0
      sleep 1
    done
    stop_pid "$old" "stale dockerd (not answering on $SOCK)" 20
  fi
  stop_stale_containerd
  rm -f "$DOCKERD_PID" "$SOCK"

  # unix socket paths are limited to 108 bytes; containerd's lives deepest
  local deepest="$EXEC_ROOT/containerd/containerd.sock.ttrpc"
  (( ${#deepest} < 100 )) || die "state dir path too long for unix sockets: $STATE (set COMPOSE2K8S_DOCKER_DIR shorter)"

  mkdir -p "$DATA_ROOT" "$EXEC_ROOT"
  # our own daemon.json so /etc/docker/daemon.json edits by others cannot change this engine; it only moves
  # the engine's identity key out of /etc/docker/key.json, which every instance would otherwise share (same
  # engine ID for two daemons). 20.10 has this setting in the file only (no flag).
  printf '{\n  "deprecated-key-path": "%s"\n}\n' "$STATE/key.json" >"$DAEMON_JSON"

  local args=(
    --config-file "$DAEMON_JSON"
    --data-root "$DATA_ROOT"
    --exec-root "$EXEC_ROOT"
    --pidfile "$DOCKERD_PID"
    --host "unix://$SOCK"
    --storage-driver "$STORAGE_DRIVER"
    --bridge none
    --iptables=false
    --ip6tables=false
    --ip-masq=false
    --userland-proxy=false
    --exec-opt native.cgroupdriver=cgroupfs
    --log-level info
  )
  log "starting dockerd: $DOCKERD_BIN ${args[*]}"
  : >>"$DOCKERD_LOG"
  printf '\n==== %s dockerd start ====\n' "$(date -Is)" >>"$DOCKERD_LOG"
  # setsid: own session, so the caller's process group / terminal ending does not take it down
  # 9>&-: the daemons must not inherit the flock fd, or they would hold the lock forever
  setsid "$DOCKERD_BIN" "${args[@]}" </dev/null >>"$DOCKERD_LOG" 2>&1 9>&- &
  local pid=$! t0
  t0="$(date +%s%N)"
  for ((i = 0; i < 600; i++)); do # ~60s (+ curl time)
    if docker_ready; then
      # dockerd writes its own pidfile; make sure it is there (it is, once the API answers)
      [[ -s "$DOCKERD_PID" ]] || printf '%s\n' "$pid" >"$DOCKERD_PID"
      log "dockerd up (pid $(cat "$DOCKERD_PID")) after $(( ($(date +%s%N) - t0) / 1000000 ))ms"
      return 0
    fi
    if ! [[ -d "/proc/$pid" ]] || [[ "$(awk '/^State:/{print $2}' "/proc/$pid/status" 2>/dev/null)" == Z ]]; then
      tail -n 30 "$DOCKERD_LOG" >&2 || true
      die "dockerd exited during startup (log: $DOCKERD_LOG)"
    fi
    sleep 0.1
  done
  tail -n 30 "$DOCKERD_LOG" >&2 || true
  stop_pid "$pid" dockerd 10
  die "dockerd did not answer on $SOCK within 60s (log: $DOCKERD_LOG)"
}

pick_port() {
  local p="$PREF_PORT" i
  for ((i = 0; i < 200; i++)); do
    if ! port_in_use "$p"; then printf '%s' "$p"; return 0; fi
    log "port $p busy, trying $((p + 1))"
    p=$((p + 1))
  done
  die "no free port in $PREF_PORT..$p"
}

start_registry() {
  local port old i
  if old="$(pid_alive "$REG_PID" docker-registry)"; then
    for ((i = 0; i < 10; i++)); do
      [[ -s "$REG_PORT_FILE" ]] && registry_ready "$(cat "$REG_PORT_FILE")" && return 0
      sleep 1
    done
    stop_pid "$old" "stale registry (not answering)" 10
  fi
  rm -f "$REG_PID"

  # reuse the previous port when free, so REGISTRY stays stable across down/up (image refs in test state)
  if [[ -s "$REG_PORT_FILE" ]] && ! port_in_use "$(cat "$REG_PORT_FILE")"; then
    port="$(cat "$REG_PORT_FILE")"
  else
    port="$(pick_port)"
  fi
  # Two instances starting at once can both find the same port free: the loser sees "address already in
  # use" and takes the next one.
  local try
  for ((try = 0; try < 10; try++)); do
    if run_registry "$port"; then return 0; fi
    tail -n 30 "$REG_LOG" | grep -q 'address already in use' || die "registry exited during startup (log: $REG_LOG)"
    log "port $port was taken meanwhile, trying $((port + 1))"
    PREF_PORT=$((port + 1))
    port="$(pick_port)"
  done
  die "registry could not get a port (log: $REG_LOG)"
}

# run_registry PORT: start the registry on PORT and wait until it answers; 1 if it exited during startup
run_registry() {
  local port="$1" i
  mkdir -p "$REG_ROOT"
  sed -e "s#@ROOT@#$REG_ROOT#g" -e "s#@ADDR@#127.0.0.1:$port#g" \
    "$HERE/docker/registry.yml.tmpl" >"$REG_CONF"
  printf '%s\n' "$port" >"$REG_PORT_FILE"

  log "starting registry: $REGISTRY_BIN serve $REG_CONF (127.0.0.1:$port)"
  printf '\n==== %s registry start ====\n' "$(date -Is)" >>"$REG_LOG"
  # the registry reads REGISTRY_* env vars as config overrides (REGISTRY_HTTP_ADDR, ...): clear them,
  # (a plain REGISTRY=127.0.0.1:PORT, as callers export it, is not read)
  # shellcheck disable=SC2046 # word splitting intended: one "-u NAME" pair per var
  env $(env | awk -F= '/^REGISTRY_/{printf "-u %s ", $1}') \
    setsid "$REGISTRY_BIN" serve "$REG_CONF" </dev/null >>"$REG_LOG" 2>&1 9>&- &
  local pid=$! t0
  t0="$(date +%s%N)"
  printf '%s\n' "$pid" >"$REG_PID"
  for ((i = 0; i < 300; i++)); do
    if registry_ready "$port"; then
      # `env -u ... setsid registry` execs down to the registry binary itself: same pid. Something answers on
      # the port; it is ours only if our process is (still) alive: one that lost the port exits at once.
      sleep 0.3
      if pid_alive "$REG_PID" docker-registry >/dev/null; then
        log "registry up (pid $pid) on 127.0.0.1:$port after $(( ($(date +%s%N) - t0) / 1000000 ))ms"
        return 0
      fi
      wait "$pid" 2>/dev/null || true
      tail -n 30 "$REG_LOG" | grep -q 'address already in use' \
        || die "registry answers on $port but pid $pid is not docker-registry (port taken by someone else?)"
      rm -f "$REG_PID"
      return 1
    fi
    if ! [[ -d "/proc/$pid" ]] || [[ "$(awk '/^State:/{print $2}' "/proc/$pid/status" 2>/dev/null)" == Z ]]; then
      tail -n 30 "$REG_LOG" >&2 || true
      rm -f "$REG_PID"
      return 1
    fi
    sleep 0.1
  done
  tail -n 30 "$REG_LOG" >&2 || true
  stop_pid "$pid" registry 5
  die "registry did not answer on 127.0.0.1:$port within 30s (log: $REG_LOG)"
}

# containerd started by dockerd (exec-root/containerd) may outlive a KILLed dockerd
stop_stale_containerd() {
  local f="$EXEC_ROOT/containerd/containerd.pid" pid
  if pid="$(pid_alive "$f" containerd)"; then
    stop_pid "$pid" "leftover containerd" 10
  fi
  rm -f "$f"
}

# ---------------------------------------------------------------- commands

cmd_up() {
  with_lock
  if command -v curl >/dev/null && is_up; then
    log "already up"
    print_env
    return 0
  fi
  ensure_installed
  local t0
  t0="$(date +%s%N)"
  start_dockerd
  start_registry
  log "up in $(( ($(date +%s%N) - t0) / 1000000 ))ms; engine $(curl -fsS --unix-socket "$SOCK" http://localhost/version | sed -E 's/.*"Version":"([^"]*)".*"ApiVersion":"([^"]*)".*/\1 (API \2)/')"
  print_env
}

cmd_down() {
  mkdir -p "$STATE"
  with_lock
  local pid
  if pid="$(pid_alive "$REG_PID" docker-registry)"; then stop_pid "$pid" registry 10; fi
  rm -f "$REG_PID"
  if pid="$(pid_alive "$DOCKERD_PID" dockerd)"; then stop_pid "$pid" dockerd 30; fi
  rm -f "$DOCKERD_PID"
  stop_stale_containerd
  log "down"
}

cmd_env() {
  if is_up; then print_env; return 0; fi
  log "not running (start with: $0 up)"
  return 1
}

cmd_status() {
  local pid
  if pid="$(pid_alive "$DOCKERD_PID" dockerd)"; then
    log "dockerd pid $pid, socket $SOCK, ping: $(docker_ready && echo ok || echo FAIL)"
  else
    log "dockerd not running"
  fi
  if pid="$(pid_alive "$REG_PID" docker-registry)"; then
    log "registry pid $pid, port $(cat "$REG_PORT_FILE" 2>/dev/null), /v2/: $(registry_ready "$(cat "$REG_PORT_FILE" 2>/dev/null)" && echo ok || echo FAIL)"
  else
    log "registry not running"
  fi
  is_up
}

# A throwaway instance (tests that kill and restart its daemons): stop it and remove every trace. A dockerd
# killed (or stopped) during a BuildKit RUN leaves that step's overlay rootfs mounted under data/buildkit,
# and the data root itself is a bind mount: unmount them (deepest first) before deleting.
cmd_purge() {
  [[ -n "${COMPOSE2K8S_DOCKER_DIR:-}" ]] || die "purge deletes the state dir: only for an instance with its own COMPOSE2K8S_DOCKER_DIR"
  [[ "$STATE" != "${HOME:-/root}/.cache/compose2k8s/docker" && "$STATE" != / ]] || die "refusing to purge $STATE"
  [[ -d "$STATE" ]] || { log "nothing at $STATE"; return 0; }
  cmd_down
  local m n=0
  while read -r m; do
    umount "$m" 2>/dev/null || umount -l "$m" || log "could not unmount $m"
    n=$((n + 1))
  done < <(awk -v s="$STATE/" 'index($2, s) == 1 { print $2 }' /proc/mounts | sort -r)
  rm -rf "$STATE"
  log "purged $STATE ($n mount(s) released)"
}

case "${1:-}" in
  up) cmd_up ;;
  down) cmd_down ;;
  purge) cmd_purge ;;
  env) cmd_env ;;
  status) cmd_status ;;
  *)
    sed -n '2,22p' "$0" | sed 's/^# \{0,1\}//' >&2
    exit 2
    ;;
esac
