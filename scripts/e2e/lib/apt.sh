# scripts/e2e/lib/apt.sh — sourced by scripts/e2e/docker.sh and scripts/e2e/cluster.sh (real node): install
# Debian packages without letting their maintainer scripts start daemons. The caller defines log().
#   trap restore_policy EXIT; block_service_start; apt_install PKG...; restore_policy; trap - EXIT

POLICY=/usr/sbin/policy-rc.d
POLICY_BACKUP=""
POLICY_CREATED=0

restore_policy() {
  if [[ "$POLICY_CREATED" == 1 ]]; then rm -f "$POLICY"; POLICY_CREATED=0; fi
  if [[ -n "$POLICY_BACKUP" ]]; then mv -f "$POLICY_BACKUP" "$POLICY"; POLICY_BACKUP=""; fi
}

# Make sure maintainer scripts start no daemon (dockerd, registry, containerd): invoke-rc.d honours policy-rc.d.
block_service_start() {
  if [[ -x "$POLICY" ]]; then
    local rc=0
    "$POLICY" docker start >/dev/null 2>&1 || rc=$?
    [[ "$rc" == 101 ]] && return 0
    POLICY_BACKUP="$POLICY.compose2k8s-e2e.bak"
    mv -f "$POLICY" "$POLICY_BACKUP"
  fi
  printf '#!/bin/sh\n# temporary, written by compose2k8s scripts/e2e\nexit 101\n' >"$POLICY"
  chmod 755 "$POLICY"
  POLICY_CREATED=1
}

apt_install() {
  local apt=(apt-get -y -q -o DPkg::Lock::Timeout=600 -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold)
  if ! DEBIAN_FRONTEND=noninteractive "${apt[@]}" install --no-install-recommends "$@" >&2; then
    log "apt-get install failed; running apt-get update and retrying"
    DEBIAN_FRONTEND=noninteractive "${apt[@]}" update >&2
    DEBIAN_FRONTEND=noninteractive "${apt[@]}" install --no-install-recommends "$@" >&2
  fi
}
