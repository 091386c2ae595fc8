# shellcheck shell=bash
# Shared by every script under scripts/services/ and by scripts/services.sh and
# scripts/services-stop.sh (sourced, never run): the common paths, logging, and
# the process checks that make each service idempotent and safe with leftovers.
#
# File descriptors (scripts/services.sh sets them up):
#   fd 3  the caller's real stdout; nothing but the final `export` lines goes there,
#         so stdout (fd 1) is pointed at stderr for everything else.
#   fd 9  the lock file that serialises concurrent services.sh runs (flock).
# Every daemon we start, and every CLI that may start one (the Erlang tools spawn
# epmd), runs with `3>&- 9>&-`: an inherited fd 3 keeps `$(scripts/services.sh)`
# from ever returning, an inherited fd 9 holds the lock for the daemon's lifetime.
# Daemons also get their own session (setsid) so they outlive the caller's.

[[ -z ${DD_SERVICES_LIB_LOADED:-} ]] || return 0
DD_SERVICES_LIB_LOADED=1

# dockerd, rabbitmq-server & co live in sbin, which a non-login root shell may
# lack. dockerd also looks up containerd/runc through PATH.
export PATH="$PATH:/usr/local/sbin:/usr/sbin:/sbin"

readonly RUN_DIR=/run/docker-dispatch-test
readonly DATA_DIR=/var/lib/docker-dispatch-test
readonly LOG_DIR=/var/log/docker-dispatch-test
# shellcheck disable=SC2034 # used by the files that source this one
readonly TEST_IMAGE=docker-dispatch-test:busybox
# Bounded waits, in seconds (overridable from the environment).
readonly ENGINE_START_TIMEOUT=${ENGINE_START_TIMEOUT:-60} # dockerd normally needs 1-2
readonly RABBIT_START_TIMEOUT=${RABBIT_START_TIMEOUT:-90} # a cold RabbitMQ boot takes ~5-10

: "${SERVICES_LOG_PREFIX:=services}"
log() { printf '[%s] %s\n' "$SERVICES_LOG_PREFIX" "$*" >&2; }
die() {
  log "ERROR: $*"
  exit 1
}

require_root() { [[ $(id -u) -eq 0 ]] || die "must run as root (${1:-it manages the test services})"; }

# True if the pid exists and is not a zombie (a daemon we started and killed
# in this run stays a zombie child of ours, and `kill -0` would still succeed).
# (Reads with `read`, not $(cat): callers scan /proc, and forks are slow.)
pid_alive() {
  local stat
  { read -r stat <"/proc/$1/stat"; } 2>/dev/null || return 1
  stat=${stat##*) }
  [[ ${stat:0:1} != Z ]]
}

# is_our_process PID COMM NEEDLE: PID is alive, named COMM, and its command line
# contains NEEDLE. Pid files outlive their processes and pids get reused, so a
# pid from a file is only trusted (and only ever killed) after this check.
is_our_process() {
  local pid=$1 comm=$2 needle=$3 name cmdline
  [[ $pid =~ ^[0-9]+$ ]] || return 1
  pid_alive "$pid" || return 1
  { read -r name <"/proc/$pid/comm"; } 2>/dev/null && [[ $name == "$comm" ]] || return 1
  cmdline=$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null) || return 1
  [[ $cmdline == *"$needle"* ]]
}

# terminate PID WHAT [GRACE_SECONDS]: SIGTERM, wait (20 s unless told), then SIGKILL.
terminate() {
  local pid=$1 what=$2 grace=${3:-20} i
  kill -TERM "$pid" 2>/dev/null || return 0
  kill -CONT "$pid" 2>/dev/null || true # a stopped (SIGSTOP) process would never see the TERM
  for ((i = 0; i < grace * 5; i++)); do
    pid_alive "$pid" || return 0
    sleep 0.2
  done
  log "$what (pid $pid) ignored SIGTERM for $grace s; sending SIGKILL"
  kill -KILL "$pid" 2>/dev/null || true
  for ((i = 0; i < 25; i++)); do
    pid_alive "$pid" || return 0
    sleep 0.2
  done
}

# Print the pid stored in a pid file (digits only), or nothing.
read_pidfile() {
  if [[ -f $1 ]]; then tr -dc '0-9' <"$1" || true; fi
}

# port_open PORT: something accepts TCP connections on 127.0.0.1:PORT.
port_open() { timeout 2 bash -c "exec 5<>/dev/tcp/127.0.0.1/$1" 2>/dev/null; }

# Debian's client matches the 20.10 daemon; /usr/local/bin/docker (v28) may come
# first on PATH, so only fall back to PATH when Debian's is absent. Call after
# the packages are in place.
pick_docker_cli() {
  if [[ -x /usr/bin/docker ]]; then DOCKER_CLI=/usr/bin/docker; else DOCKER_CLI=$(command -v docker); fi
  # We always pass -H explicitly; a DOCKER_CONTEXT in the caller's environment
  # would make the CLI refuse -H, and DOCKER_TLS_* would break plain TCP.
  unset DOCKER_HOST DOCKER_CONTEXT DOCKER_TLS_VERIFY DOCKER_CERT_PATH
}

# docker_ping HOST: the Docker API at HOST answers (dockerd or Podman).
docker_ping() { timeout 5 "$DOCKER_CLI" -H "$1" version --format '{{.Server.Version}}' >/dev/null 2>&1; }

# Erlang CLI calls (rabbitmqctl, rabbitmq-diagnostics) may spawn epmd as a
# daemon: keep fds 3 and 9 away from it, and bound every call.
rabbit_cli() { timeout "${RABBIT_CLI_TIMEOUT:-30}" "$@" </dev/null 3>&- 9>&-; }

ensure_base_dirs() { mkdir -p "$RUN_DIR" "$DATA_DIR" "$LOG_DIR"; }
