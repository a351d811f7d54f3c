#!/usr/bin/env bash
# Build the Docker Compose CLI (plugin binary, also runs standalone as
# `docker-compose`) from its Go module, pinned, into the compose2k8s tool cache.
# Prints the absolute binary path as the last line of stdout.
#
# Invoke it as:  docker-compose -f FILE config --format json
# (global flags such as -f/-p/--env-file go before the subcommand; no
# `compose` subcommand and no Docker daemon are needed for `config`).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$here/lib.sh"

# Newest v5 release that builds here: v5.7.0 declares `go 1.26.10` (local Go
# is 1.26.8) and v5.6.0 needs github.com/DefangLabs/secret-detector
# v0.0.0-20260916192156-3e28d7ed64df, which the module proxy refuses (403).
COMPOSE_MODULE=github.com/docker/compose/v5
COMPOSE_VERSION=v5.5.1

tool_init docker-compose "$COMPOSE_MODULE" "$COMPOSE_VERSION"
tool_lock
tool_is_current && tool_done

tool_prepare_wrapper
tool_build "$COMPOSE_MODULE/cmd" "-X $COMPOSE_MODULE/internal.Version=$COMPOSE_VERSION"

verify() {
  local bin=$1 out tmp
  out=$("$bin" version 2>&1) || die "'docker-compose version' failed: $out"
  log "version: $out"
  [[ "$out" == *"$COMPOSE_VERSION"* ]] || die "unexpected version output: $out"
  tmp=$(mktemp -d)
  printf 'services:\n  web:\n    image: nginx:1.27\n    ports: ["8080:80"]\n' >"$tmp/compose.yaml"
  # -f/--file is a flag of the root command (as with `docker compose -f F
  # config`): it must come BEFORE the subcommand. `config ... -f F` fails
  # with "unknown shorthand flag: 'f' in -f".
  out=$(cd "$tmp" && "$bin" -f "$tmp/compose.yaml" config --format json 2>&1) \
    || { rm -rf "$tmp"; die "'docker-compose -f FILE config --format json' failed: $out"; }
  rm -rf "$tmp"
  [[ "$out" == *'"services"'* && "$out" == *'"nginx:1.27"'* ]] \
    || die "unexpected 'config --format json' output: $out"
  log "verified: version, config --format json"
}
verify "$TOOL_TMP_BIN"

tool_install
tool_done
