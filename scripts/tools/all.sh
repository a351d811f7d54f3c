#!/usr/bin/env bash
# Build (or reuse from cache) the pinned test/benchmark tools, one after the
# other (the machines have 2 cores), and print `name=/abs/path` lines.
#   all.sh                       docker-compose, helm and kompose
#   all.sh docker-compose helm   only those (CI: the tests never run kompose;
#                                only `npm run bench` does)
# Exits non-zero as soon as one tool fails.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
tools=("$@")
[[ ${#tools[@]} -gt 0 ]] || tools=(docker-compose helm kompose)
for t in "${tools[@]}"; do
  [[ -f "$here/$t.sh" ]] || { printf '[tools:all] ERROR: unknown tool %q\n' "$t" >&2; exit 2; }
done
results=()
for t in "${tools[@]}"; do
  printf '[tools:all] %s ...\n' "$t" >&2
  if ! out=$(bash "$here/$t.sh"); then
    printf '[tools:all] ERROR: %s.sh failed\n' "$t" >&2
    exit 1
  fi
  path=$(tail -n1 <<<"$out")
  [[ -n "$path" && -x "$path" ]] || { printf '[tools:all] ERROR: %s.sh printed no usable path (%q)\n' "$t" "$path" >&2; exit 1; }
  results+=("$t=$path")
done
printf '%s\n' "${results[@]}"
