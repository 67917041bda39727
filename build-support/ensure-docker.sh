#!/usr/bin/env bash
# ensure-docker.sh: provide a Docker engine, an offline Python 3.11 base image and a local image
# registry, on a machine where none may be running and no container registry can be reached
# (only the Debian, PyPI and npm package registries, through the machine's own clients).
# The base image is Debian bookworm's own python3.11, built with mmdebstrap and named
# vertex-mlops/python-offline:3.11-bookworm; it is never tagged as the official python image.
# It is recorded in the repository's .pants.rc (git-ignored) as images/base's PYTHON_IMAGE build
# arg, so `./pants package` builds on it instead of pulling the digest-pinned official image.
#
# Usage: build-support/ensure-docker.sh [--no-registry]   bring everything up (idempotent)
#        build-support/ensure-docker.sh --stop            stop the dockerd/registry it started
# Status lines go to stderr; the environment to use goes to stdout as KEY=VALUE lines:
#        export $(build-support/ensure-docker.sh)
# Env: LOCAL_REGISTRY_PORT (5000), ENSURE_DOCKER_STATE_DIR, ENSURE_DOCKER_TIMEOUT (60 s).
set -euo pipefail
export LC_ALL=C

readonly SOCK=unix:///var/run/docker.sock   # the default socket: plain `docker` and Pants just work
readonly IMAGE=vertex-mlops/python-offline:3.11-bookworm  # images/base's PYTHON_IMAGE on this machine
# The CI builder image's CPython 3.9 for Pants (build-support/builder's PANTS_PYTHON_IMAGE), made from
# the machine's own Python 3.9 (pyenv), as Debian bookworm has none.
readonly PANTS_PYTHON_IMAGE=vertex-mlops/python-offline:3.9-local
readonly LEGACY_IMAGE=python:3.11-slim      # what older versions of this script wrongly tagged their build as
readonly PORT=${LOCAL_REGISTRY_PORT:-5000}
readonly TIMEOUT=${ENSURE_DOCKER_TIMEOUT:-60}
readonly CACHE_FILE=${XDG_CACHE_HOME:-${HOME:?}/.cache}/vertex-mlops/base-images/python-offline-3.11-bookworm.tar.zst
REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
readonly REPO_ROOT PANTS_RC=$REPO_ROOT/.pants.rc
if [[ $(id -u) == 0 ]]; then STATE=${ENSURE_DOCKER_STATE_DIR:-/var/lib/vertex-mlops}
else STATE=${ENSURE_DOCKER_STATE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/vertex-mlops/state}; fi
readonly STATE DOCKERD_PID=$STATE/dockerd.pid DOCKERD_LOG=$STATE/dockerd.log
readonly REG_PID=$STATE/registry.pid REG_LOG=$STATE/registry.log
readonly T0=$EPOCHREALTIME

log() { echo "ensure-docker: $*" >&2; }
die() { log "ERROR: $*"; exit 1; }
since() { awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1fs", b - a }'; }
is_root() { [[ $(id -u) == 0 ]]; }
# Installing packages and starting daemons is only done by root on Linux; say so clearly.
need_root() { [[ $(uname -s) == Linux ]] || die "$1 needs Linux (this is $(uname -s))"; is_root || die "$1 needs root"; }
engine_ok() { timeout 20 docker info >/dev/null 2>&1; }
registry_ok() { curl -fsS -m 2 -o /dev/null "http://127.0.0.1:$PORT/v2/" 2>/dev/null; }
tail_log() { log "last lines of $1:"; tail -n "${2:-20}" "$1" | sed 's/^/    /' >&2; }

# A zombie counts as dead: a crashed daemon's pid lingers until init reaps it.
alive() { local st; st=$(cut -d' ' -f3 "/proc/$1/stat" 2>/dev/null) && [[ $st != Z ]]; }
# Print the pid in pid file $1 if that process is alive and is really $2 (pids get reused).
pid_of() {
  local pid; pid=$(cat "$1" 2>/dev/null) || return 1
  [[ -n $pid ]] && alive "$pid" && [[ $(cat "/proc/$pid/comm" 2>/dev/null) == "$2" ]] && echo "$pid"
}
stop_pid() { # TERM, then KILL if it has not exited after 40 s (dockerd stops containers first)
  kill "$1" 2>/dev/null || return 0
  local i; for ((i = 0; i < 400; i++)); do alive "$1" || return 0; sleep 0.1; done
  log "pid $1 ignored SIGTERM for 40s; killing it"; kill -9 "$1" 2>/dev/null || true
}

# Install the Debian packages among "$@" that are missing; `apt-get update` once per run first,
# because a fresh machine's package lists may be missing or stale.
APT_UPDATED=
apt_install() {
  local missing=() p t=$EPOCHREALTIME
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing+=("$p")
  done
  ((${#missing[@]})) || return 0
  need_root "installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  if [[ -z $APT_UPDATED ]]; then
    apt-get update >>"$STATE/apt.log" 2>&1 || { tail_log "$STATE/apt.log"; die "apt-get update failed"; }
    APT_UPDATED=1
  fi
  apt-get install -y --no-install-recommends "${missing[@]}" >>"$STATE/apt.log" 2>&1 ||
    { tail_log "$STATE/apt.log"; die "apt-get install ${missing[*]} failed (log: $STATE/apt.log)"; }
  log "packages: installed ${missing[*]} in $(since "$t")"
}

# Wait until the engine answers; fail early if the daemon (pid $1) died.
wait_engine() {
  local deadline=$((SECONDS + TIMEOUT))
  while ((SECONDS < deadline)); do
    engine_ok && return 0
    alive "$1" || return 1
    sleep 0.1
  done
  return 1
}

# Start dockerd with storage driver $1 (+ extra flags) and wait for it. setsid: its own session,
# so it outlives this script and its terminal; 9>&-: it must not inherit (and hold) our lock.
start_dockerd() {
  local drv=$1 pid cpid=/var/run/docker/containerd/containerd.pid; shift
  # dockerd reuses the containerd named in this pid file while that pid looks alive; after a
  # crash it is often a zombie (init here is slow to reap), and dockerd then times out on it.
  if [[ -f $cpid ]] && ! alive "$(cat "$cpid")"; then rm -f "$cpid"; fi
  echo "--- $(date -Is) ensure-docker: dockerd --storage-driver=$drv $*" >>"$DOCKERD_LOG"
  setsid -w dockerd --storage-driver="$drv" --data-root="$STATE/docker" --pidfile="$DOCKERD_PID" \
    -H "$SOCK" "$@" </dev/null >>"$DOCKERD_LOG" 2>&1 9>&- &
  pid=$!
  wait_engine "$pid" && return 0
  stop_pid "$(pid_of "$DOCKERD_PID" dockerd || echo "$pid")"   # hung or half-started: clean up
  return 1
}

ensure_engine() {
  local t=$EPOCHREALTIME pid drv
  if engine_ok; then log "engine: already running at ${DOCKER_HOST:-$SOCK}"; export DOCKER_HOST=${DOCKER_HOST:-$SOCK}; return; fi
  if [[ -n ${DOCKER_HOST:-} ]]; then
    log "engine: DOCKER_HOST=$DOCKER_HOST does not answer; trying $SOCK"
    export DOCKER_HOST=$SOCK
    if engine_ok; then log "engine: already running at $SOCK"; return; fi
  fi
  export DOCKER_HOST=$SOCK
  need_root "starting a Docker engine (none answers at $SOCK)"
  apt_install docker.io
  # Where policy-rc.d allows it, installing docker.io starts a daemon itself: use that one.
  if engine_ok; then log "engine: started by the docker.io package at $SOCK"; return; fi
  if pid=$(pid_of "$DOCKERD_PID" dockerd); then   # ours, alive but silent: give it a chance
    log "engine: our dockerd (pid $pid) does not answer yet; waiting up to ${TIMEOUT}s"
    if wait_engine "$pid"; then log "engine: dockerd (pid $pid) answers now"; return; fi
    log "engine: restarting it"; stop_pid "$pid"
  fi
  rm -f "$DOCKERD_PID"   # stale pid file from a dead daemon (dockerd refuses to start over a live-looking one)
  for pid in $(pgrep -x dockerd || true); do
    alive "$pid" && die "a dockerd this script did not start (pid $pid) runs but does not answer at $SOCK; stop it first"
  done
  # (dockerd itself replaces a stale socket file.) Try the driver that worked last time first:
  # a data root filled by vfs looks empty under overlay2.
  drv=$(cat "$STATE/storage-driver" 2>/dev/null || echo overlay2)
  for drv in $(printf '%s\n' "$drv" overlay2 vfs | awk '!seen[$0]++'); do
    if start_dockerd "$drv"; then
      echo "$drv" >"$STATE/storage-driver"
      log "engine: started dockerd ($drv) on $SOCK in $(since "$t") (log: $DOCKERD_LOG)"
      return
    fi
    log "engine: dockerd with $drv did not come up; trying the next option"
  done
  # Last resort for kernels/sandboxes without working iptables or bridges.
  if start_dockerd vfs --iptables=false --ip6tables=false --bridge=none; then
    echo vfs >"$STATE/storage-driver"
    log "engine: started dockerd (vfs, no iptables/bridge) on $SOCK in $(since "$t")"
    log "WARNING: no container networking: containers and builds need --network host"
    return
  fi
  tail_log "$DOCKERD_LOG"
  die "dockerd did not answer within ${TIMEOUT}s with overlay2, vfs or vfs without networking (log: $DOCKERD_LOG)"
}

# Build the offline base from Debian packages (no registry): Debian bookworm's python3 is 3.11, and
# libgomp1 is the OpenMP runtime LightGBM and scikit-learn need.
build_base_image() {
  need_root "building $IMAGE with mmdebstrap --mode=root"
  apt_install mmdebstrap zstd
  # Mirrors: the host's own configured apt sources for bookworm, so no host name is written here.
  local srcs=() f tmp
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources; do
    [[ -f $f ]] && grep -qE '^[^#]*bookworm' "$f" && srcs+=("$f")
  done
  ((${#srcs[@]})) || die "no bookworm entry in the host's apt sources: cannot build $IMAGE"
  tmp=$(mktemp -d "$STATE/base-image.XXXXXX")
  CLEANUP+=("$tmp")
  # minbase + merged-usr keeps it small (~125 MB, like the official slim image); passwd gives
  # useradd for non-root users; the /usr/local/bin links mirror the official image's layout.
  # dpkg fsyncs every file it unpacks: working in RAM (tmpfs) made this ~1.5x faster here.
  local mmtmp=${TMPDIR:-/tmp}; [[ -w /dev/shm ]] && mmtmp=/dev/shm
  # shellcheck disable=SC2016 # $1 and $p are expanded by mmdebstrap's hook shell, not here
  TMPDIR=$mmtmp mmdebstrap --variant=minbase --mode=root --hook-dir=/usr/share/mmdebstrap/hooks/merged-usr \
    --include=python3,python3-venv,python-is-python3,ca-certificates,passwd,libgomp1 \
    --dpkgopt='path-exclude=/usr/share/doc/*' --dpkgopt='path-include=/usr/share/doc/*/copyright' \
    --dpkgopt='path-exclude=/usr/share/man/*' --dpkgopt='path-exclude=/usr/share/info/*' \
    --dpkgopt='path-exclude=/usr/share/locale/*' --dpkgopt='path-include=/usr/share/locale/locale.alias' \
    --customize-hook='for p in python python3 python3.11; do ln -sf /usr/bin/$p "$1/usr/local/bin/$p"; done' \
    bookworm "$tmp/rootfs.tar" "${srcs[@]}" </dev/null >"$tmp/mmdebstrap.log" 2>&1 ||
    { tail_log "$tmp/mmdebstrap.log" 30; die "mmdebstrap failed"; }
  docker import \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'ENV LANG=C.UTF-8' --change 'CMD ["python3"]' \
    --change 'LABEL org.vertex-mlops.built-by="build-support/ensure-docker.sh"' \
    --change "LABEL org.opencontainers.image.created=\"$(date -u +%FT%TZ)\"" \
    --change 'LABEL org.opencontainers.image.description="Debian bookworm minbase + python3.11, built locally by build-support/ensure-docker.sh (not the official python image)"' \
    "$tmp/rootfs.tar" "$IMAGE" >/dev/null || die "docker import of the rootfs failed"
  # Prove it is usable before caching it: python3/python3.11, venv, TLS certs, useradd.
  docker run --rm --network none "$IMAGE" sh -c \
    'python3.11 -c "import sys, venv, ssl; assert sys.version_info[:2] == (3, 11)" && command -v useradd >/dev/null && ldconfig -p | grep -q "libgomp.so.1 "' ||
    { docker rmi -f "$IMAGE" >/dev/null; die "the freshly built $IMAGE failed its smoke test"; }
  # Temp file + rename: a crash never leaves a half-written cache file behind.
  mkdir -p "$(dirname "$CACHE_FILE")"
  docker save "$IMAGE" | zstd -3 -q -T0 >"$CACHE_FILE.tmp.$$"
  mv -f "$CACHE_FILE.tmp.$$" "$CACHE_FILE"
}

image_size() { docker image inspect -f '{{.Size}}' "$IMAGE" | awk '{ printf "%d MB", $1 / 1e6 }'; }
# Older versions of this script tagged their build as python:3.11-slim, which it is not: drop that
# tag, but only from an image this script built (an official image keeps its tag).
untag_legacy_image() {
  local built_by
  built_by=$(docker image inspect -f '{{index .Config.Labels "org.vertex-mlops.built-by"}}' "$LEGACY_IMAGE" 2>/dev/null) || return 0
  [[ $built_by == build-support/ensure-docker.sh ]] || return 0
  docker rmi "$LEGACY_IMAGE" >/dev/null && log "base image: removed the $LEGACY_IMAGE tag an older version of this script gave its own build"
}
# Tell Pants to build images/base on the offline base: a [docker] build arg in the repository's
# .pants.rc (git-ignored, read by Pants after pants.toml). A .pants.rc this script did not write is
# left alone, with the line to add.
readonly PANTS_RC_MARK="# Written by build-support/ensure-docker.sh"
record_base_for_pants() {
  local wanted
  wanted=$(printf '%s: this machine builds images on its offline base images.\n[docker]\nbuild_args.add = ["PYTHON_IMAGE=%s", "PANTS_PYTHON_IMAGE=%s"]\n' \
    "$PANTS_RC_MARK" "$IMAGE" "$PANTS_PYTHON_IMAGE")
  if [[ -f $PANTS_RC ]] && ! grep -qF "$PANTS_RC_MARK" "$PANTS_RC"; then
    log "WARNING: $PANTS_RC exists and was not written by this script; add to it:"
    log '  [docker] build_args.add = ["PYTHON_IMAGE='"$IMAGE"'", "PANTS_PYTHON_IMAGE='"$PANTS_PYTHON_IMAGE"'"]'
    return
  fi
  [[ -f $PANTS_RC && $(cat "$PANTS_RC") == "$wanted" ]] && return
  printf '%s\n' "$wanted" >"$PANTS_RC.tmp.$$" && mv -f "$PANTS_RC.tmp.$$" "$PANTS_RC"
  log "base image: recorded PYTHON_IMAGE=$IMAGE for Pants in $PANTS_RC"
}
ensure_base_image() {
  local t=$EPOCHREALTIME
  untag_legacy_image
  if docker image inspect "$IMAGE" >/dev/null 2>&1; then
    log "base image $IMAGE: already present ($(image_size))"; return
  fi
  if [[ -s $CACHE_FILE ]]; then
    apt_install zstd
    if zstd -dcq "$CACHE_FILE" | docker load -q >/dev/null && docker image inspect "$IMAGE" >/dev/null 2>&1; then
      log "base image $IMAGE: loaded from cache in $(since "$t") ($CACHE_FILE)"; return
    fi
    log "base image $IMAGE: cache file unusable; moved to $CACHE_FILE.bad, rebuilding"
    mv -f "$CACHE_FILE" "$CACHE_FILE.bad"
  fi
  build_base_image
  log "base image $IMAGE: built with mmdebstrap in $(since "$t") ($(image_size)), cached at $CACHE_FILE"
}

# The machine's CPython 3.9 as an image holding the three paths the builder image copies from the
# official python:3.9 image (/usr/local/bin/python3.9, its libpython and its standard library), on
# the offline base so that the shared libraries it links against are the same Debian release's.
ensure_pants_python_image() {
  local t=$EPOCHREALTIME python prefix tmp
  if docker image inspect "$PANTS_PYTHON_IMAGE" >/dev/null 2>&1; then
    log "Pants' Python image $PANTS_PYTHON_IMAGE: already present"; return
  fi
  for python in "${PANTS_BOOTSTRAP_PYTHON:-}" "$(command -v python3.9 || true)" "${PYENV_ROOT:-$HOME/.pyenv}"/versions/3.9*/bin/python3.9; do
    # A pyenv shim exists on PATH even when it cannot run 3.9 here: ask the interpreter itself.
    [[ -n $python && -x $python ]] && "$python" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 9))' 2>/dev/null && break
    python=
  done
  [[ -n $python ]] || die "no CPython 3.9 found for the builder image (set PANTS_BOOTSTRAP_PYTHON=/path/to/python3.9)"
  prefix=$("$python" -c 'import sys; print(sys.base_prefix)')
  [[ -f $prefix/lib/libpython3.9.so.1.0 ]] ||
    die "$python is not a shared-library build ($prefix/lib/libpython3.9.so.1.0 is missing): rebuild it with --enable-shared"
  tmp=$(mktemp -d "$STATE/pants-python.XXXXXX")
  CLEANUP+=("$tmp")
  mkdir -p "$tmp/usr/local/bin" "$tmp/usr/local/lib"
  cp -a "$prefix/bin/python3.9" "$tmp/usr/local/bin/"
  cp -a "$prefix/lib/libpython3.9.so.1.0" "$tmp/usr/local/lib/"
  # The standard library without its test suite, GUI modules and whatever was pip-installed here.
  tar -C "$prefix/lib" --exclude='python3.9/test' --exclude='python3.9/*/tests' --exclude='python3.9/idlelib' \
    --exclude='python3.9/tkinter' --exclude='python3.9/turtledemo' --exclude='python3.9/site-packages/*' \
    --exclude='__pycache__' --exclude='*.a' -cf - python3.9 | tar -C "$tmp/usr/local/lib" -xf -
  printf 'FROM %s\nCOPY usr/ /usr/\nRUN ldconfig && python3.9 -c "import ssl, sqlite3, ctypes, venv"\n' "$IMAGE" >"$tmp/Dockerfile"
  docker build -q --label org.vertex-mlops.built-by=build-support/ensure-docker.sh -t "$PANTS_PYTHON_IMAGE" "$tmp" >/dev/null 2>"$tmp/build.log" ||
    { tail_log "$tmp/build.log"; die "could not build $PANTS_PYTHON_IMAGE from $python"; }
  log "Pants' Python image $PANTS_PYTHON_IMAGE: built from $python in $(since "$t")"
}

# Debian's docker-registry (distribution 2.8) with our own config, storage under the state dir.
ensure_registry() {
  local t=$EPOCHREALTIME pid i
  if registry_ok; then log "registry: already running at 127.0.0.1:$PORT"; return; fi
  apt_install docker-registry
  if pid=$(pid_of "$REG_PID" docker-registry); then stop_pid "$pid"; fi   # ours, but not answering
  mkdir -p "$STATE/registry"
  cat >"$STATE/registry.yml" <<EOF
# Generated by build-support/ensure-docker.sh; rewritten on every start.
version: 0.1
log: {level: warn, accesslog: {disabled: true}}
storage: {filesystem: {rootdirectory: $STATE/registry}, delete: {enabled: true}}
http: {addr: "127.0.0.1:$PORT"}
EOF
  echo "--- $(date -Is) ensure-docker: docker-registry serve $STATE/registry.yml" >>"$REG_LOG"
  # sh writes its own pid, then execs: the pid file is right whether or not setsid had to fork.
  # shellcheck disable=SC2016 # expanded by that inner sh
  setsid -w sh -c 'echo $$ >"$1"; exec docker-registry serve "$2"' sh "$REG_PID" "$STATE/registry.yml" \
    </dev/null >>"$REG_LOG" 2>&1 9>&- &
  pid=$!
  for ((i = 0; i < 150; i++)); do
    registry_ok && { log "registry: started docker-registry at 127.0.0.1:$PORT in $(since "$t") (log: $REG_LOG)"; return; }
    alive "$pid" || break
    sleep 0.1
  done
  tail_log "$REG_LOG"; die "docker-registry did not answer on http://127.0.0.1:$PORT/v2/ (log: $REG_LOG)"
}

stop_all() {
  local what pidfile comm pid
  for what in "registry:$REG_PID:docker-registry" "engine:$DOCKERD_PID:dockerd"; do
    IFS=: read -r what pidfile comm <<<"$what"
    if pid=$(pid_of "$pidfile" "$comm"); then
      stop_pid "$pid"; log "$what: stopped $comm (pid $pid)"
    else
      log "$what: no $comm started by this script is running"
    fi
    rm -f "$pidfile"
  done
}

usage() { sed -n '2,10s/^# \{0,1\}//p' "$0"; }

REGISTRY=1 MODE=up
for arg in "$@"; do
  case $arg in
    --help | -h) usage; exit 0 ;;
    --stop) MODE=stop ;;
    --no-registry) REGISTRY= ;;
    *) usage >&2; die "unknown option: $arg" ;;
  esac
done

CLEANUP=()
trap 'rm -rf "${CLEANUP[@]}" "$CACHE_FILE.tmp.$$" "$PANTS_RC.tmp.$$"' EXIT
mkdir -p "$STATE" 2>/dev/null || true
# Serialize concurrent runs (two CI jobs, two shells): they would race to start two daemons.
if [[ -w $STATE ]]; then
  exec 9>"$STATE/ensure-docker.lock"
  flock -n 9 || { log "waiting for another ensure-docker run to finish"; flock -w 900 9 || die "lock timeout"; }
fi

if [[ $MODE == stop ]]; then stop_all; exit 0; fi
command -v curl >/dev/null || apt_install curl
ensure_engine
ensure_base_image
ensure_pants_python_image
record_base_for_pants
[[ -z $REGISTRY ]] || ensure_registry
log "ready in $(since "$T0"); the environment to use is on stdout"
echo "DOCKER_HOST=$DOCKER_HOST"
echo "PYTHON_IMAGE=$IMAGE"
[[ -z $REGISTRY ]] || echo "LOCAL_REGISTRY=127.0.0.1:$PORT"
