#!/usr/bin/env bash
# Smoke test for the engine + registry that scripts/e2e/docker.sh up starts.
# Runs `up` (idempotent), then: FROM-scratch busybox build (classic builder via CLI, BuildKit via
# Debian's 20.10 CLI, and both via the Engine API POST /build with version=1 / version=2),
# docker run, push to the registry, catalog + tags, delete a manifest by digest.
# Prints one "ok"/"FAIL" line per check and timings; exits non-zero if a check failed.
# Leaves the engine and registry running; removes the local images it made and deletes its pushed
# manifest (the repo name e2e-verify/bb stays in the registry's _catalog, as deletes do not remove repos).
set -uo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ENV_LINES="$("$HERE/../docker.sh" up)" || { echo "docker.sh up failed" >&2; exit 1; }
# shellcheck disable=SC2163,SC2086 # exports the two NAME=value words
export $ENV_LINES # DOCKER_HOST=unix://... REGISTRY=127.0.0.1:PORT
SOCK="${DOCKER_HOST#unix://}"
API="http://localhost/v1.41"
TAG="verify-$$"
REPO="e2e-verify/bb"
FAILED=0

now_ms() { echo $(( $(date +%s%N) / 1000000 )); }
ok() { printf 'ok   %-58s %s\n' "$1" "${2:-}"; }
fail() { printf 'FAIL %-58s %s\n' "$1" "${2:-}"; FAILED=1; }

DANGLING_BEFORE="$(docker images -q -f dangling=true | sort -u)"
CTX="$(mktemp -d)"
trap 'rm -rf "$CTX"' EXIT
cp /bin/busybox "$CTX/busybox"
cat >"$CTX/Dockerfile" <<'EOF'
FROM scratch
COPY busybox /bin/busybox
ENTRYPOINT ["/bin/busybox"]
EOF
# a second context with RUN steps (needs a runnable base: the image built above)
mkdir "$CTX/run"
cat >"$CTX/run/Dockerfile" <<EOF
FROM $REPO:$TAG-classic AS base
ARG MSG=default
RUN ["/bin/busybox", "sh", "-c", "/bin/busybox echo \$MSG > /msg"]
FROM scratch
COPY --from=base /bin/busybox /bin/busybox
COPY --from=base /msg /msg
ENTRYPOINT ["/bin/busybox"]
CMD ["cat", "/msg"]
EOF
tar -C "$CTX" -cf "$CTX/ctx.tar" Dockerfile busybox
tar -C "$CTX/run" -cf "$CTX/run.tar" Dockerfile

# 1. classic builder through the docker CLI
t=$(now_ms)
if DOCKER_BUILDKIT=0 docker build -q -t "$REPO:$TAG-classic" "$CTX" >/dev/null 2>"$CTX/err"; then
  ok "docker build (classic builder, CLI $(docker version -f '{{.Client.Version}}'))" "$(( $(now_ms) - t ))ms"
else fail "docker build (classic builder)" "$(tail -1 "$CTX/err")"; fi

# 2. BuildKit through the CLI: /usr/local/bin/docker (28.x) needs buildx (absent); Debian's 20.10 CLI has it built in
if [[ -x /usr/bin/docker ]]; then
  t=$(now_ms)
  if DOCKER_BUILDKIT=1 /usr/bin/docker build -q -t "$REPO:$TAG-bk" "$CTX" >/dev/null 2>"$CTX/err"; then
    ok "DOCKER_BUILDKIT=1 /usr/bin/docker build (Debian 20.10 CLI)" "$(( $(now_ms) - t ))ms"
  else fail "DOCKER_BUILDKIT=1 /usr/bin/docker build" "$(tail -1 "$CTX/err")"; fi
fi
if DOCKER_BUILDKIT=1 docker build -q -t "$REPO:$TAG-bk28" "$CTX" >/dev/null 2>"$CTX/err"; then
  ok "DOCKER_BUILDKIT=1 docker build (CLI $(docker version -f '{{.Client.Version}}'))"
else echo "info DOCKER_BUILDKIT=1 with $(command -v docker): $(head -1 "$CTX/err") (expected: no buildx plugin)"; fi

# 3. Engine API POST /build (what dockerode uses), version=1 (classic) and version=2 (BuildKit)
api_build() { # ctx.tar query -> prints last error or nothing
  curl -sS --unix-socket "$SOCK" -X POST -H 'Content-Type: application/x-tar' \
    --data-binary "@$1" "$API/build?$2" >"$CTX/build.out" || return 1
  ! grep -q '"errorDetail"' "$CTX/build.out"
}
for v in 1 2; do
  t=$(now_ms)
  if api_build "$CTX/ctx.tar" "t=$REPO:$TAG-api$v&version=$v"; then
    ok "POST /build version=$v (FROM scratch + COPY)" "$(( $(now_ms) - t ))ms"
  else fail "POST /build version=$v" "$(grep -o '"error":"[^"]*"' "$CTX/build.out" | head -1)"; fi
done
for q in "version=1" "version=2" "version=2&networkmode=none" "version=2&networkmode=host"; do
  name="$REPO:$TAG-run$(echo "$q" | tr -dc 'a-z0-9')"
  if api_build "$CTX/run.tar" "t=$name&$q&buildargs=%7B%22MSG%22%3A%22hi%22%7D" \
    && [[ "$(docker run --rm "$name" 2>&1)" == hi ]]; then
    ok "POST /build $q (RUN + ARG + multi-stage)"
  else
    msg="$(grep -o '"error":"[^"]*"' "$CTX/build.out" | head -1)"
    if [[ "$q" == version=2 && "$msg" == *"network bridge not found"* ]]; then
      echo "info POST /build $q with RUN: 'network bridge not found' (expected with --bridge none; pass networkmode=none|host)"
    else fail "POST /build $q (RUN)" "$msg"; fi
  fi
done

# 4. docker run
t=$(now_ms)
out="$(docker run --rm "$REPO:$TAG-classic" echo hi 2>&1)"
[[ "$out" == hi ]] && ok "docker run --rm IMG echo hi (default network = none)" "$(( $(now_ms) - t ))ms" || fail "docker run" "$out"
out="$(docker run --rm --network host "$REPO:$TAG-classic" wget -qO- "http://$REGISTRY/v2/" 2>&1)"
[[ "$out" == "{}" ]] && ok "docker run --network host reaches registry on loopback" || fail "docker run --network host" "$out"

# 5. push, catalog, tags
docker tag "$REPO:$TAG-classic" "$REGISTRY/$REPO:$TAG"
t=$(now_ms)
docker push -q "$REGISTRY/$REPO:$TAG" >/dev/null 2>"$CTX/err" \
  && ok "docker push $REGISTRY/$REPO:$TAG" "$(( $(now_ms) - t ))ms" || fail "docker push" "$(tail -1 "$CTX/err")"
curl -fsS "http://$REGISTRY/v2/_catalog" | grep -q "\"$REPO\"" && ok "catalog lists $REPO" || fail "catalog"
curl -fsS "http://$REGISTRY/v2/$REPO/tags/list" | grep -q "\"$TAG\"" && ok "tags/list has $TAG" || fail "tags/list"

# 6. delete the manifest by digest, tag disappears
ACCEPT='application/vnd.docker.distribution.manifest.v2+json, application/vnd.oci.image.manifest.v1+json'
digest="$(curl -fsSI -H "Accept: $ACCEPT" "http://$REGISTRY/v2/$REPO/manifests/$TAG" \
  | awk -F': ' 'tolower($1)=="docker-content-digest"{print $2}' | tr -d '\r')"
code="$(curl -s -o /dev/null -w '%{http_code}' -X DELETE "http://$REGISTRY/v2/$REPO/manifests/$digest")"
[[ "$code" == 202 ]] && ok "DELETE /v2/$REPO/manifests/<digest>" "$code" || fail "DELETE manifest" "http $code"
if ! curl -fsS "http://$REGISTRY/v2/$REPO/tags/list" | grep -q "\"$TAG\"" \
  && [[ "$(curl -s -o /dev/null -w '%{http_code}' -H "Accept: $ACCEPT" "http://$REGISTRY/v2/$REPO/manifests/$TAG")" == 404 ]]; then
  ok "tag $TAG gone after delete"
else fail "tag still present after delete"; fi

# cleanup local images made here
docker images --format '{{.Repository}}:{{.Tag}}' | grep -F ":$TAG" | xargs -r docker rmi -f >/dev/null 2>&1
# plus the untagged intermediate images our builds left (classic multi-stage), not anyone else's
comm -13 <(printf '%s\n' "$DANGLING_BEFORE") <(docker images -q -f dangling=true | sort -u) \
  | xargs -r docker rmi -f >/dev/null 2>&1

[[ "$FAILED" == 0 ]] && echo "all checks passed" || echo "some checks FAILED"
exit "$FAILED"
