#!/usr/bin/env bash
# Bring up the real services the integration tests talk to, idempotently:
#
#   * Docker engine A  on unix:///run/docker-dispatch-test/engine-a.sock
#   * Docker engine B  on tcp://127.0.0.1:23751 (plus a unix socket we manage it by)
#   * the test image   docker-dispatch-test:busybox, imported into both engines
#   * RabbitMQ         on 127.0.0.1:5672 (guest/guest)
#
# Usage (as root, Debian 12):   eval "$(scripts/services.sh)"
#
# STDOUT carries nothing but the `export` lines for the caller to eval; all
# progress and diagnostics go to STDERR. Safe to re-run: services that already
# answer are reused (a warm run takes a few seconds), and state left behind by
# processes that are gone (pid files, sockets, managed containerd files) is
# cleaned up before starting afresh. Stop everything with scripts/services-stop.sh.
set -euo pipefail

# Keep the real stdout on fd 3 for the final export lines and send everything
# else (our logging, apt, docker CLI chatter) to stderr, so nothing stray can
# end up in the caller's eval.
exec 3>&1 1>&2

# dockerd, rabbitmq-server & co live in sbin, which a non-login root shell may
# lack. dockerd also looks up containerd/runc through PATH.
export PATH="$PATH:/usr/local/sbin:/usr/sbin:/sbin"
# We always pass -H explicitly; a DOCKER_CONTEXT in the caller's environment
# would make the CLI refuse -H, and DOCKER_TLS_* would break plain TCP.
unset DOCKER_HOST DOCKER_CONTEXT DOCKER_TLS_VERIFY DOCKER_CERT_PATH

readonly RUN_DIR=/run/docker-dispatch-test
readonly DATA_DIR=/var/lib/docker-dispatch-test
readonly LOG_DIR=/var/log/docker-dispatch-test
readonly TEST_IMAGE=docker-dispatch-test:busybox
readonly ENGINE_B_TCP=tcp://127.0.0.1:23751
# Engine C listens with TLS (--tlsverify) for the TLS tests; certificates live in TLS_DIR.
readonly ENGINE_C_TCP=tcp://127.0.0.1:23752
readonly AMQP_URL=amqp://guest:guest@127.0.0.1:5672
# Bounded waits, in seconds (overridable from the environment).
readonly ENGINE_START_TIMEOUT=${ENGINE_START_TIMEOUT:-60} # dockerd normally needs 1-2
readonly RABBIT_START_TIMEOUT=${RABBIT_START_TIMEOUT:-90} # a cold RabbitMQ boot takes ~5-10

log() { printf '[services] %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

[[ $(id -u) -eq 0 ]] || die "must run as root (it starts dockerd and RabbitMQ)"

# ---------------------------------------------------------------------------
# 1. Packages
# ---------------------------------------------------------------------------

# Debian's plain `busybox` package also provides /bin/busybox but links it
# dynamically, which is useless inside a rootfs without libc. ldd exits 0 only
# for dynamic executables.
have_static_busybox() { [[ -x /bin/busybox ]] && ! ldd /bin/busybox >/dev/null 2>&1; }

missing_tools() {
  local tool
  for tool in dockerd containerd runc rabbitmq-server rabbitmqctl rabbitmq-diagnostics openssl; do
    command -v "$tool" >/dev/null 2>&1 || printf '%s ' "$tool"
  done
  have_static_busybox || printf '%s ' 'busybox(static)'
  [[ -x /usr/bin/docker ]] || command -v docker >/dev/null 2>&1 || printf '%s ' docker
  # Debian's Chromium, for the status page test (headless, driven by playwright-core).
  [[ -x /usr/bin/chromium ]] || printf '%s ' chromium
}

missing=$(missing_tools)
if [[ -n $missing ]]; then
  log "missing: ${missing}- installing docker.io rabbitmq-server busybox-static openssl chromium"
  export DEBIAN_FRONTEND=noninteractive
  # Wait for (rather than fail on) another apt/dpkg run holding the lock.
  apt_opts=(-q -o DPkg::Lock::Timeout=600)
  apt-get "${apt_opts[@]}" update || log "warning: apt-get update failed; trying the install anyway"
  # Without systemd the packages' postinst scripts may fail to start their
  # services, which makes apt-get exit non-zero although the binaries are in
  # place. That is fine: we start our own instances below. Whether the install
  # really worked is decided by re-checking the tools.
  apt-get "${apt_opts[@]}" install -y docker.io rabbitmq-server busybox-static openssl chromium ||
    log "warning: apt-get install reported errors (typically a postinst failing to start a service); checking the tools"
  missing=$(missing_tools)
  [[ -z $missing ]] || die "still missing after apt-get install: $missing"
fi

# Debian's client matches the 20.10 daemon; /usr/local/bin/docker (v28) may come
# first on PATH, so only fall back to PATH when Debian's is absent.
if [[ -x /usr/bin/docker ]]; then DOCKER_CLI=/usr/bin/docker; else DOCKER_CLI=$(command -v docker); fi
readonly DOCKER_CLI

mkdir -p "$RUN_DIR" "$DATA_DIR" "$LOG_DIR"

# Serialise concurrent runs (e.g. two CI jobs on one machine): both would
# otherwise try to start the same engines. fd 9 must not leak into daemons.
exec 9>"$RUN_DIR/services.lock"
flock -w 600 9 || die "timed out waiting for another services.sh run ($RUN_DIR/services.lock)"

TMP_DIR=""
trap '[[ -z $TMP_DIR ]] || rm -rf "$TMP_DIR"' EXIT

# ---------------------------------------------------------------------------
# Process helpers
# ---------------------------------------------------------------------------

# True if the pid exists and is not a zombie (a daemon we started and killed
# in this run stays a zombie child of ours, and `kill -0` would still succeed).
pid_alive() {
  local stat
  stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
  stat=${stat##*) }
  [[ ${stat:0:1} != Z ]]
}

# is_our_process PID COMM NEEDLE: PID is alive, named COMM, and its command line
# contains NEEDLE. Pid files outlive their processes and pids get reused, so a
# pid from a file is only trusted (and only ever killed) after this check.
is_our_process() {
  local pid=$1 comm=$2 needle=$3 cmdline
  [[ $pid =~ ^[0-9]+$ ]] || return 1
  pid_alive "$pid" || return 1
  [[ $(cat "/proc/$pid/comm" 2>/dev/null) == "$comm" ]] || return 1
  cmdline=$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null) || return 1
  [[ $cmdline == *"$needle"* ]]
}

# terminate PID WHAT: SIGTERM, wait up to 20 s, then SIGKILL.
terminate() {
  local pid=$1 what=$2 i
  kill -TERM "$pid" 2>/dev/null || return 0
  kill -CONT "$pid" 2>/dev/null || true # a stopped (SIGSTOP) process would never see the TERM
  for ((i = 0; i < 100; i++)); do
    pid_alive "$pid" || return 0
    sleep 0.2
  done
  log "$what (pid $pid) ignored SIGTERM for 20 s; sending SIGKILL"
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

# ---------------------------------------------------------------------------
# 2./3. Docker engines and the test image
# ---------------------------------------------------------------------------

engine_sock() { echo "$RUN_DIR/engine-$1.sock"; }
engine_exec_root() { echo "$RUN_DIR/engine-$1-exec"; }
engine_pidfile() { echo "$RUN_DIR/engine-$1.pid"; }
engine_log() { echo "$LOG_DIR/engine-$1.log"; }
# Which storage driver this engine's data root proved to work with (see engine_ready).
engine_driver_file() { echo "$DATA_DIR/engine-$1.storage-driver"; }

engine_ping() { timeout 5 "$DOCKER_CLI" -H "$1" version --format '{{.Server.Version}}' >/dev/null 2>&1; }

# Wait until the engine answers, giving up early if the dockerd process dies.
wait_for_engine() {
  local host=$1 pid=$2 deadline=$((SECONDS + ENGINE_START_TIMEOUT))
  while ((SECONDS < deadline)); do
    engine_ping "$host" && return 0
    pid_alive "$pid" || return 1
    sleep 0.5
  done
  engine_ping "$host"
}

# Stop the engine's dockerd and any containerd it left behind (only if they are
# really this engine's processes), then remove the pid files and sockets so a
# fresh dockerd neither refuses to start ("pid file found, ensure docker is not
# running") nor adopts a recycled containerd pid.
stop_engine() {
  local name=$1 exec_root pid
  exec_root=$(engine_exec_root "$name")
  pid=$(read_pidfile "$(engine_pidfile "$name")")
  if is_our_process "$pid" dockerd "$exec_root"; then
    log "engine $name: stopping dockerd (pid $pid)"
    terminate "$pid" "engine $name dockerd"
  fi
  # dockerd SIGKILLs its containerd when it dies, but be sure: an orphan
  # would keep the old state alive and the next dockerd would try to reuse it.
  pid=$(read_pidfile "$exec_root/containerd/containerd.pid")
  if is_our_process "$pid" containerd "$exec_root/"; then
    log "engine $name: stopping orphaned containerd (pid $pid)"
    terminate "$pid" "engine $name containerd"
  fi
  rm -f "$(engine_pidfile "$name")" "$(engine_sock "$name")" \
    "$exec_root/containerd/containerd.pid" \
    "$exec_root/containerd/containerd.sock" \
    "$exec_root/containerd/containerd.sock.ttrpc" \
    "$exec_root/containerd/containerd-debug.sock"
}

# start_engine NAME DRIVER [EXTRA_DOCKERD_ARGS...]: start dockerd in the
# background (own session, so it outlives this script) and wait until it
# answers. DRIVER may be empty to let dockerd choose.
start_engine() {
  local name=$1 driver=$2
  shift 2
  local sock log_file exec_root pidfile pid
  sock=$(engine_sock "$name")
  log_file=$(engine_log "$name")
  exec_root=$(engine_exec_root "$name")
  pidfile=$(engine_pidfile "$name")
  # An explicit, empty config file: a /etc/docker/daemon.json meant for the
  # system engine (e.g. with "hosts") must not leak into the test engines.
  [[ -f $RUN_DIR/daemon.json ]] || echo '{}' >"$RUN_DIR/daemon.json"
  local args=(
    -H "unix://$sock" "$@"
    --config-file "$RUN_DIR/daemon.json"
    --data-root "$DATA_DIR/engine-$name"
    --exec-root "$exec_root"
    --pidfile "$pidfile"
    # Tests run containers with --network none; no bridge means no iptables
    # or sysctl requirements and no clash with a system dockerd's docker0.
    --bridge=none --iptables=false --ip-masq=false
  )
  [[ -z $driver ]] || args+=(--storage-driver="$driver")
  log "engine $name: starting dockerd${driver:+ (storage driver $driver)}; log: $log_file"
  printf '\n===== %s services.sh: dockerd %s\n' "$(date -Is)" "${args[*]}" >>"$log_file"
  # fds 3 (the caller's stdout pipe) and 9 (the lock) must not be inherited,
  # or `$(scripts/services.sh)` would never return / the lock never free up.
  # Without job control a background job is no process-group leader, so
  # setsid execs in place and $! is dockerd's own pid.
  setsid nohup dockerd "${args[@]}" >>"$log_file" 2>&1 </dev/null 3>&- 9>&- &
  pid=$!
  if ! wait_for_engine "unix://$sock" "$pid"; then
    log "engine $name: dockerd did not answer within ${ENGINE_START_TIMEOUT}s; last log lines:"
    tail -n 30 "$log_file" >&2
    return 1
  fi
  log "engine $name: up (pid $pid)"
}

# Build the test image's root filesystem tarball once per run, only if some
# engine needs it: a static busybox with every applet symlinked into /bin.
ROOTFS_TAR=""
build_rootfs_tar() {
  [[ -z $ROOTFS_TAR ]] || return 0
  TMP_DIR=$(mktemp -d)
  local root=$TMP_DIR/rootfs applet
  mkdir -p "$root/bin" "$root/etc" "$root/tmp" "$root/root"
  chmod 1777 "$root/tmp"
  cp /bin/busybox "$root/bin/busybox"
  for applet in $("$root/bin/busybox" --list); do
    [[ $applet == busybox ]] || ln -s busybox "$root/bin/$applet"
  done
  printf '%s\n' 'root:x:0:0:root:/root:/bin/sh' 'nobody:x:65534:65534:nobody:/nonexistent:/bin/false' >"$root/etc/passwd"
  printf '%s\n' 'root:x:0:' 'nogroup:x:65534:' >"$root/etc/group"
  tar --numeric-owner --owner=0 --group=0 -C "$root" -cf "$TMP_DIR/rootfs.tar" .
  ROOTFS_TAR=$TMP_DIR/rootfs.tar
}

ensure_image() {
  local host=$1
  if "$DOCKER_CLI" -H "$host" image inspect "$TEST_IMAGE" >/dev/null 2>&1; then
    return 0
  fi
  build_rootfs_tar
  log "importing $TEST_IMAGE into $host"
  "$DOCKER_CLI" -H "$host" import \
    --change 'CMD ["/bin/sh"]' --change 'ENV PATH=/bin' \
    --message 'docker-dispatch integration test image (busybox-static)' \
    "$ROOTFS_TAR" "$TEST_IMAGE" >/dev/null
}

# Prove a container can actually run: overlay2 can initialise fine yet fail to
# mount at container start on some nested/sandboxed filesystems.
smoke_test() {
  local out
  if out=$("$DOCKER_CLI" -H "$1" run --rm --network none "$TEST_IMAGE" echo ok 2>&1) && [[ $out == ok ]]; then
    return 0
  fi
  log "smoke test on $1 failed: $out"
  return 1
}

# engine_up NAME [EXTRA_DOCKERD_ARGS...]: make sure the engine's dockerd runs
# and answers - reuse it, wait for a still-booting one, or clean up after a
# dead one and start afresh (with the storage driver recorded for it, if any).
engine_up() {
  local name=$1
  shift
  local host driver_file driver="" pid
  host="unix://$(engine_sock "$name")"
  driver_file=$(engine_driver_file "$name")
  [[ ! -f $driver_file ]] || driver=$(<"$driver_file")

  if engine_ping "$host"; then
    log "engine $name: already up, reusing"
    return 0
  fi
  # A dockerd of ours that is alive but not answering may still be booting
  # (e.g. an earlier run was interrupted): give it the normal start-up time
  # before declaring it wedged.
  pid=$(read_pidfile "$(engine_pidfile "$name")")
  if is_our_process "$pid" dockerd "$(engine_exec_root "$name")" && wait_for_engine "$host" "$pid"; then
    log "engine $name: earlier dockerd (pid $pid) came up, reusing"
    return 0
  fi
  stop_engine "$name"
  start_engine "$name" "$driver" "$@" || die "engine $name failed to start (log: $(engine_log "$name"))"
}

# engine_ready NAME [EXTRA_DOCKERD_ARGS...]: the (running) engine has the test
# image. The first time a data root is used (no driver recorded yet), also
# check that a container really runs with the storage driver dockerd picked;
# if not, fall back to vfs (slow and disk-hungry, but works everywhere). The
# result is recorded so later runs pin the same driver and skip this check.
engine_ready() {
  local name=$1
  shift
  local host driver_file driver
  host="unix://$(engine_sock "$name")"
  driver_file=$(engine_driver_file "$name")

  ensure_image "$host"
  [[ ! -f $driver_file ]] || return 0

  driver=$("$DOCKER_CLI" -H "$host" info --format '{{.Driver}}')
  if ! smoke_test "$host"; then
    [[ $driver != vfs ]] || die "engine $name cannot run containers even with vfs (log: $(engine_log "$name"))"
    log "engine $name: containers fail with storage driver $driver; restarting with vfs"
    stop_engine "$name"
    driver=vfs
    start_engine "$name" "$driver" "$@" || die "engine $name failed to start with vfs (log: $(engine_log "$name"))"
    ensure_image "$host"
    smoke_test "$host" || die "engine $name cannot run containers even with vfs (log: $(engine_log "$name"))"
  fi
  echo "$driver" >"$driver_file"
  log "engine $name: storage driver $driver works; recorded in $driver_file"
}

# ---------------------------------------------------------------------------
# 4. RabbitMQ
# ---------------------------------------------------------------------------

amqp_port_open() { timeout 2 bash -c 'exec 5<>/dev/tcp/127.0.0.1/5672' 2>/dev/null; }
# Any Erlang CLI call may spawn epmd as a daemon; keep our stdout pipe (fd 3)
# and lock (fd 9) away from it, or `$(scripts/services.sh)` could hang.
rabbit_cli() { timeout 30 "$@" </dev/null 3>&- 9>&-; }
rabbit_ping() { rabbit_cli rabbitmq-diagnostics -q ping >/dev/null 2>&1; }
rabbit_pidfile() { echo "/var/lib/rabbitmq/mnesia/rabbit@$(hostname -s).pid"; }
readonly RABBIT_START_LOG=$LOG_DIR/rabbitmq-start.log

# Kick off RabbitMQ early (it is the slowest service) and wait for it later,
# while the engines come up.
RABBIT_STARTED=false
start_rabbitmq_if_needed() {
  # The port check is instant and spares the ~1 s Erlang CLI boot when down.
  if amqp_port_open && rabbit_ping; then
    log "rabbitmq: already up, reusing"
    return 0
  fi
  local pid
  pid=$(read_pidfile "$(rabbit_pidfile)")
  if is_our_process "$pid" beam.smp rabbit; then
    # A live node that is not (yet) answering: maybe still booting. Let the
    # wait below decide; if it never comes up, the error shows its logs.
    log "rabbitmq: node (pid $pid) is running but not ready yet; waiting for it"
    RABBIT_STARTED=true
    return 0
  fi
  # A pid file naming a dead (or recycled) pid is harmless to RabbitMQ, but
  # remove it so nothing trusts it; mnesia recovers from an unclean stop itself.
  rm -f "$(rabbit_pidfile)"
  log "rabbitmq: starting (rabbitmq-server -detached); log: $RABBIT_START_LOG and /var/log/rabbitmq/"
  printf '\n===== %s services.sh: rabbitmq-server -detached\n' "$(date -Is)" >>"$RABBIT_START_LOG"
  # The Debian wrapper re-execs as the rabbitmq user; -detached returns at once.
  rabbitmq-server -detached >>"$RABBIT_START_LOG" 2>&1 </dev/null 3>&- 9>&- ||
    die "rabbitmq-server -detached failed; see $RABBIT_START_LOG"
  RABBIT_STARTED=true
}

wait_for_rabbitmq() {
  [[ $RABBIT_STARTED == true ]] || return 0
  local deadline=$((SECONDS + RABBIT_START_TIMEOUT))
  # await_startup blocks until the rabbit app (not just the Erlang node) is
  # running, but fails at once while the node is not reachable yet: loop.
  while ((SECONDS < deadline)); do
    if rabbit_cli rabbitmqctl -q await_startup >/dev/null 2>&1 && amqp_port_open; then
      log "rabbitmq: up"
      return 0
    fi
    sleep 1
  done
  log "rabbitmq: not up after ${RABBIT_START_TIMEOUT}s; recent logs:"
  tail -n 20 "$RABBIT_START_LOG" /var/log/rabbitmq/*.log >&2 2>/dev/null || true
  die "rabbitmq failed to start (if a wedged node is left over, kill its beam.smp - pid in $(rabbit_pidfile) - and re-run)"
}

# ---------------------------------------------------------------------------
# 5. TLS certificates for engine C
# ---------------------------------------------------------------------------

readonly TLS_DIR=$DATA_DIR/tls

# A CA, a server certificate for 127.0.0.1 signed by it, a client certificate
# signed by it, and a second, unrelated CA (to prove a worker refuses an engine
# whose certificate it cannot verify). Made once, kept with the data roots.
ensure_tls() {
  [[ -f $TLS_DIR/other-ca.pem ]] && return 0
  log "tls: generating a test CA and certificates in $TLS_DIR"
  rm -rf "$TLS_DIR"
  mkdir -p "$TLS_DIR"
  (
    cd "$TLS_DIR"
    openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj '/CN=docker-dispatch test CA' \
      -keyout ca-key.pem -out ca.pem 2>/dev/null
    openssl req -newkey rsa:2048 -nodes -subj '/CN=127.0.0.1' -keyout server-key.pem -out server.csr 2>/dev/null
    printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n' >server-ext.cnf
    openssl x509 -req -in server.csr -CA ca.pem -CAkey ca-key.pem -CAcreateserial -days 3650 \
      -extfile server-ext.cnf -out server-cert.pem 2>/dev/null
    openssl req -newkey rsa:2048 -nodes -subj '/CN=docker-dispatch worker' -keyout key.pem -out client.csr 2>/dev/null
    printf 'extendedKeyUsage=clientAuth\n' >client-ext.cnf
    openssl x509 -req -in client.csr -CA ca.pem -CAkey ca-key.pem -CAcreateserial -days 3650 \
      -extfile client-ext.cnf -out cert.pem 2>/dev/null
    openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj '/CN=some other CA' \
      -keyout other-ca-key.pem -out other-ca.pem 2>/dev/null
    chmod 0644 ./*.pem
  )
}

# RabbitMQ also listens with TLS on 5671 (certificates from TLS_DIR) for the
# amqps:// tests. The config file is ours only if it carries our header; a
# config file someone else wrote is left alone (and amqps:// is not set up).
readonly RABBIT_CONF=/etc/rabbitmq/rabbitmq.conf
readonly RABBIT_CONF_HEADER='# Written by docker-dispatch scripts/services.sh'
RABBIT_CONF_CHANGED=false
ensure_rabbit_conf() {
  local want
  want="$RABBIT_CONF_HEADER: AMQP on 5672, AMQPS on 5671 with the test CA.
listeners.tcp.default = 5672
listeners.ssl.default = 5671
ssl_options.cacertfile = $TLS_DIR/ca.pem
ssl_options.certfile = $TLS_DIR/server-cert.pem
ssl_options.keyfile = $TLS_DIR/server-key.pem
ssl_options.verify = verify_peer
ssl_options.fail_if_no_peer_cert = false"
  if [[ -f $RABBIT_CONF ]] && [[ $(head -n 1 "$RABBIT_CONF") != "$RABBIT_CONF_HEADER"* ]]; then
    log "rabbitmq: $RABBIT_CONF was not written by this script; leaving it (no amqps:// listener)"
    return 0
  fi
  [[ -f $RABBIT_CONF && $(<"$RABBIT_CONF") == "$want" ]] && return 0
  mkdir -p "$(dirname "$RABBIT_CONF")"
  printf '%s\n' "$want" >"$RABBIT_CONF"
  RABBIT_CONF_CHANGED=true
}

# A node already running with an older config must restart to pick it up.
restart_rabbitmq_if_config_changed() {
  [[ $RABBIT_CONF_CHANGED == true ]] || return 0
  amqp_port_open || return 0
  log "rabbitmq: configuration changed; restarting the node"
  timeout 60 rabbitmqctl -q stop "$(rabbit_pidfile)" >&2 </dev/null 3>&- 9>&- || log "rabbitmqctl stop failed"
}

# ---------------------------------------------------------------------------
# 6. A local image registry on loopback (pull tests; engines allow 127.0.0.0/8
#    registries over plain HTTP). Debian's docker-registry, our own instance
#    and config, not the packaged service.
# ---------------------------------------------------------------------------

readonly REGISTRY_ADDR=127.0.0.1:5000
readonly REGISTRY_DIR=$DATA_DIR/registry
readonly REGISTRY_PIDFILE=$RUN_DIR/registry.pid

registry_port_open() { timeout 2 bash -c 'exec 5<>/dev/tcp/127.0.0.1/5000' 2>/dev/null; }

start_registry_if_needed() {
  local pid i
  pid=$(read_pidfile "$REGISTRY_PIDFILE")
  if is_our_process "$pid" docker-registry "$REGISTRY_DIR/config.yml" && registry_port_open; then
    log "registry: already up, reusing"
    return 0
  fi
  if [[ ! -x /usr/bin/docker-registry ]]; then
    log "registry: installing docker-registry"
    DEBIAN_FRONTEND=noninteractive apt-get -q -o DPkg::Lock::Timeout=600 install -y docker-registry ||
      log "warning: apt-get install docker-registry reported errors; checking the binary"
    [[ -x /usr/bin/docker-registry ]] || die "docker-registry is still missing after apt-get install"
  fi
  mkdir -p "$REGISTRY_DIR/data" "$RUN_DIR" "$LOG_DIR"
  printf '%s\n' 'version: 0.1' 'log:' '  level: warn' 'storage:' '  filesystem:' \
    "    rootdirectory: $REGISTRY_DIR/data" '  delete:' '    enabled: true' 'http:' "  addr: $REGISTRY_ADDR" \
    >"$REGISTRY_DIR/config.yml"
  setsid docker-registry serve "$REGISTRY_DIR/config.yml" >>"$LOG_DIR/registry.log" 2>&1 </dev/null 3>&- 9>&- &
  echo $! >"$REGISTRY_PIDFILE"
  for ((i = 0; i < 50; i++)); do
    pid_alive "$(read_pidfile "$REGISTRY_PIDFILE")" || break
    registry_port_open && { log "registry: up on $REGISTRY_ADDR"; return 0; }
    sleep 0.2
  done
  tail -n 20 "$LOG_DIR/registry.log" >&2 || true
  die "the registry did not start on $REGISTRY_ADDR"
}

# ---------------------------------------------------------------------------
# Main
# ---------------------------------------------------------------------------

# --tls=false: binding TCP without TLS makes dockerd warn and pause (1 s in
# 20.10, ~15 s in later releases, which refuse it outright unless TLS is
# explicitly disabled).
ENGINE_A_ARGS=()
ENGINE_B_ARGS=(-H "$ENGINE_B_TCP" --tls=false)
ENGINE_C_ARGS=(-H "$ENGINE_C_TCP" --tlsverify --tlscacert "$TLS_DIR/ca.pem"
  --tlscert "$TLS_DIR/server-cert.pem" --tlskey "$TLS_DIR/server-key.pem")

ensure_tls
ensure_rabbit_conf
restart_rabbitmq_if_config_changed
start_rabbitmq_if_needed
start_registry_if_needed

# Bring both engines up in parallel: each takes 1-2 s normally, but a dockerd
# restarting over containers that were left running spends ~10 s stopping them
# (their stop timeout) before it answers.
engine_up a "${ENGINE_A_ARGS[@]}" &
pid_a=$!
engine_up b "${ENGINE_B_ARGS[@]}" &
pid_b=$!
engine_up c "${ENGINE_C_ARGS[@]}" &
pid_c=$!
status=0
wait "$pid_a" || status=1
wait "$pid_b" || status=1
wait "$pid_c" || status=1
((status == 0)) || die "could not bring up the Docker engines (see above)"

# Image import and the first-use driver check run sequentially, so the rootfs
# tarball is built at most once.
engine_ready a "${ENGINE_A_ARGS[@]}"
engine_ready b "${ENGINE_B_ARGS[@]}"
engine_ready c "${ENGINE_C_ARGS[@]}"
# Engine B is managed via its unix socket; make sure the address the tests use
# answers too (e.g. a leftover B started without the TCP listener would not).
engine_ping "$ENGINE_B_TCP" || die "engine b answers on its unix socket but not on $ENGINE_B_TCP"
wait_for_rabbitmq

# 5. The only output on stdout.
cat >&3 <<EOF
export AMQP_URL=$AMQP_URL
export DOCKER_HOST_A=unix://$(engine_sock a)
export DOCKER_HOST_B=$ENGINE_B_TCP
export TEST_IMAGE=$TEST_IMAGE
export DOCKER_HOST_TLS=https://127.0.0.1:23752
export DOCKER_TLS_DIR=$TLS_DIR
export AMQPS_URL=amqps://guest:guest@localhost:5671
export TEST_REGISTRY=$REGISTRY_ADDR
EOF
