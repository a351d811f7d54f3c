# shellcheck shell=bash
# Shared helpers for scripts/tools/*.sh: build pinned Go test/benchmark tools
# into a cache outside the repository.
#
# Usage from a tool script (which must itself `set -euo pipefail`):
#
#   source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
#   tool_init NAME MODULE VERSION      # e.g. helm helm.sh/helm/v3 v3.22.0
#   tool_lock                          # serialise concurrent runs (optional)
#   tool_is_current && tool_done       # cached: print path, exit 0
#   tool_prepare_wrapper               # $CACHE/src/NAME/go.mod requiring MODULE@VERSION
#   tool_build PACKAGE [LDFLAGS...]    # -> $TOOL_TMP_BIN
#   ... verify "$TOOL_TMP_BIN" ...
#   tool_install                       # move into $CACHE/bin, write stamp
#   tool_done                          # print absolute path as last stdout line
#
# Environment knobs:
#   COMPOSE2K8S_CACHE      cache root (default: $HOME/.cache/compose2k8s)
#   COMPOSE2K8S_GOTOOLCHAIN  GOTOOLCHAIN for the build (default: local). Set it
#                          to "auto" to let go fetch a newer toolchain module
#                          from the module proxy if a pin ever needs one.
#   COMPOSE2K8S_REBUILD=1  ignore the cache stamp and rebuild.
#
# All progress goes to stderr; stdout is reserved for the final binary path.

# Bump when the build recipe (flags, wrapper layout) changes in a way that
# should invalidate binaries already in the cache.
TOOLS_RECIPE=1

CACHE="${COMPOSE2K8S_CACHE:-${HOME:?HOME is not set}/.cache/compose2k8s}"
CACHE_BIN="$CACHE/bin"
CACHE_SRC="$CACHE/src"

log() { printf '[tools:%s] %s\n' "${TOOL_NAME:-lib}" "$*" >&2; }
die() {
  printf '[tools:%s] ERROR: %s\n' "${TOOL_NAME:-lib}" "$*" >&2
  exit 1
}

# Build environment: static, reproducible-ish, no toolchain downloads by default.
export CGO_ENABLED="${CGO_ENABLED:-0}"
export GOFLAGS=-mod=mod
export GOTOOLCHAIN="${COMPOSE2K8S_GOTOOLCHAIN:-local}"
# Never touch a go.work that happens to be above the cache directory.
export GOWORK=off

require_go() {
  command -v go >/dev/null 2>&1 || die "go is not on PATH (need Go >= 1.26; see docs/tools.md)"
}

# tool_init NAME MODULE VERSION
tool_init() {
  TOOL_NAME=$1
  TOOL_MODULE=$2
  TOOL_VERSION=$3
  TOOL_BIN="$CACHE_BIN/$TOOL_NAME"
  TOOL_STAMP_FILE="$CACHE_BIN/$TOOL_NAME.version"
  TOOL_STAMP="$TOOL_MODULE@$TOOL_VERSION recipe=$TOOLS_RECIPE"
  TOOL_SRC="$CACHE_SRC/$TOOL_NAME"
  TOOL_TMP_BIN=""
  mkdir -p "$CACHE_BIN" "$CACHE_SRC" || die "cannot create cache directory $CACHE"
}

# Serialise concurrent runs for the same tool (no-op without flock).
tool_lock() {
  if command -v flock >/dev/null 2>&1; then
    exec {TOOL_LOCK_FD}>"$CACHE_BIN/.$TOOL_NAME.lock"
    flock "$TOOL_LOCK_FD" || die "cannot lock $CACHE_BIN/.$TOOL_NAME.lock"
  fi
}

# True when the cached binary was built for exactly the pinned module@version.
tool_is_current() {
  [[ "${COMPOSE2K8S_REBUILD:-0}" != 1 ]] || return 1
  [[ -x "$TOOL_BIN" && -f "$TOOL_STAMP_FILE" ]] || return 1
  [[ "$(head -n1 "$TOOL_STAMP_FILE")" == "$TOOL_STAMP" ]]
}

# Print the binary path as the last line of stdout and exit successfully.
tool_done() {
  [[ -x "$TOOL_BIN" ]] || die "binary $TOOL_BIN is missing"
  printf '%s\n' "$TOOL_BIN"
  exit 0
}

# Copy `replace` and `exclude` directives (single-line and block form) from the
# upstream go.mod. `go install mod@version` refuses modules that carry them,
# which is why we build through a wrapper module in the first place; copying
# them keeps the dependency graph identical to upstream's own build.
_extract_mod_directives() {
  awk '
    /^[[:space:]]*(replace|exclude)[[:space:]]*\($/ { inblock = 1; print; next }
    inblock { print; if ($0 ~ /^[[:space:]]*\)[[:space:]]*$/) inblock = 0; next }
    /^[[:space:]]*(replace|exclude)[[:space:]]/ { print }
  ' "$1"
}

# Create $TOOL_SRC with a go.mod that requires TOOL_MODULE@TOOL_VERSION and
# carries upstream's replace/exclude directives.
tool_prepare_wrapper() {
  require_go
  log "resolving $TOOL_MODULE@$TOOL_VERSION via $(go env GOPROXY)"
  local info upstream_mod upstream_go local_go
  # Run outside any module so the lookup is not influenced by a go.mod.
  info=$(cd / && go mod download -json "$TOOL_MODULE@$TOOL_VERSION" 2>&1) \
    || die "cannot download $TOOL_MODULE@$TOOL_VERSION: $info"
  upstream_mod=$(printf '%s\n' "$info" | sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",\{0,1\}$/\1/p')
  [[ -f "$upstream_mod" ]] || die "no go.mod found for $TOOL_MODULE@$TOOL_VERSION (got: $info)"

  upstream_go=$(sed -n 's/^go[[:space:]]\{1,\}\([0-9.]*\).*/\1/p' "$upstream_mod" | head -n1)
  local_go=$(go env GOVERSION)
  local_go=${local_go#go}
  if [[ "$GOTOOLCHAIN" == local && -n "$upstream_go" ]] \
    && [[ "$(printf '%s\n%s\n' "$upstream_go" "$local_go" | sort -V | tail -n1)" != "$local_go" ]]; then
    die "$TOOL_MODULE@$TOOL_VERSION needs go >= $upstream_go but local go is $local_go; upgrade Go or rerun with COMPOSE2K8S_GOTOOLCHAIN=auto"
  fi

  local directives
  directives=$(_extract_mod_directives "$upstream_mod")
  # Filesystem replacements (=> ./dir) cannot work outside upstream's tree.
  if printf '%s\n' "$directives" | grep -Eq '=>[[:space:]]*(\.{1,2}/|/)'; then
    die "$TOOL_MODULE@$TOOL_VERSION has local-path replace directives; cannot build via wrapper module"
  fi

  rm -rf "$TOOL_SRC"
  mkdir -p "$TOOL_SRC"
  {
    printf '// Generated by compose2k8s scripts/tools/%s.sh; safe to delete.\n' "$TOOL_NAME"
    printf 'module compose2k8s.local/tools/%s\n\n' "$TOOL_NAME"
    printf 'go %s\n\n' "${upstream_go:-$local_go}"
    printf 'require %s %s\n' "$TOOL_MODULE" "$TOOL_VERSION"
    if [[ -n "$directives" ]]; then
      printf '\n// Copied from %s@%s go.mod\n%s\n' "$TOOL_MODULE" "$TOOL_VERSION" "$directives"
    fi
  } >"$TOOL_SRC/go.mod"
  (cd "$TOOL_SRC" && go mod edit -fmt) || die "generated $TOOL_SRC/go.mod is invalid"
  if [[ -n "$directives" ]]; then
    log "copied upstream directives into wrapper go.mod:"
    printf '%s\n' "$directives" | sed 's/^/    /' >&2
  fi
}

# Version of a module as selected in the wrapper's build list.
tool_dep_version() {
  (cd "$TOOL_SRC" && go list -m -f '{{.Version}}' "$1")
}

# tool_build PACKAGE [EXTRA_LDFLAGS...]: build into a temp file next to the
# final binary ($TOOL_TMP_BIN); tool_install moves it into place.
tool_build() {
  local pkg=$1
  shift
  local ldflags="-s -w"
  if (($#)); then ldflags+=" $*"; fi
  TOOL_TMP_BIN="$CACHE_BIN/.$TOOL_NAME.tmp.$$"
  trap 'rm -f "$TOOL_TMP_BIN"' EXIT
  log "building $pkg (go $(go env GOVERSION), CGO_ENABLED=$CGO_ENABLED, GOTOOLCHAIN=$GOTOOLCHAIN); this can take several minutes"
  local start=$SECONDS
  (cd "$TOOL_SRC" && go build -trimpath -ldflags "$ldflags" -o "$TOOL_TMP_BIN" "$pkg") >&2 \
    || die "go build of $pkg failed (see output above; a '403 Forbidden ... not available' line means the module proxy does not serve that dependency version, so pin a different release)"
  log "built in $((SECONDS - start))s"
}

# Atomically move the verified temp binary into place and record the pin.
tool_install() {
  [[ -n "$TOOL_TMP_BIN" && -x "$TOOL_TMP_BIN" ]] || die "nothing to install"
  mv -f "$TOOL_TMP_BIN" "$TOOL_BIN"
  printf '%s\n' "$TOOL_STAMP" >"$TOOL_STAMP_FILE"
  trap - EXIT
  log "installed $TOOL_BIN ($TOOL_MODULE@$TOOL_VERSION)"
}
