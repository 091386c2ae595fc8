# shellcheck shell=bash
# The three Docker engines (Debian's dockerd 20.10, each with its own data
# root, exec root and pid file) and the test image in each:
#   engine A  unix:///run/docker-dispatch-test/engine-a.sock
#   engine B  tcp://127.0.0.1:23751 (plus a unix socket we manage it by)
#   engine C  tcp://127.0.0.1:23752 with --tlsverify (certificates from tls.sh)
# The test image docker-dispatch-test:busybox is imported from a rootfs built
# from Debian's static busybox (build_rootfs_tar, also used by podman.sh).
# Needs lib.sh, tls.sh, pick_docker_cli, and TMP_DIR cleaned up by the caller.

readonly ENGINE_B_TCP=tcp://127.0.0.1:23751
readonly ENGINE_C_TCP=tcp://127.0.0.1:23752

# --tls=false: binding TCP without TLS makes dockerd warn and pause (1 s in
# 20.10, ~15 s in later releases, which refuse it outright unless TLS is
# explicitly disabled).
ENGINE_A_ARGS=()
ENGINE_B_ARGS=(-H "$ENGINE_B_TCP" --tls=false)
ENGINE_C_ARGS=(-H "$ENGINE_C_TCP" --tlsverify --tlscacert "$TLS_DIR/ca.pem"
  --tlscert "$TLS_DIR/server-cert.pem" --tlskey "$TLS_DIR/server-key.pem")

engine_sock() { echo "$RUN_DIR/engine-$1.sock"; }
engine_exec_root() { echo "$RUN_DIR/engine-$1-exec"; }
engine_pidfile() { echo "$RUN_DIR/engine-$1.pid"; }
engine_log() { echo "$LOG_DIR/engine-$1.log"; }
# Which storage driver this engine's data root proved to work with (see engine_ready).
engine_driver_file() { echo "$DATA_DIR/engine-$1.storage-driver"; }

# Wait until the engine answers, giving up early if the dockerd process dies.
wait_for_engine() {
  local host=$1 pid=$2 deadline=$((SECONDS + ENGINE_START_TIMEOUT))
  while ((SECONDS < deadline)); do
    docker_ping "$host" && return 0
    pid_alive "$pid" || return 1
    sleep 0.5
  done
  docker_ping "$host"
}

# stop_engine NAME [GRACE_SECONDS]: stop the engine's dockerd and any
# containerd it left behind (only if they are really this engine's processes),
# then remove the pid files and sockets so a fresh dockerd neither refuses to
# start ("pid file found, ensure docker is not running") nor adopts a recycled
# containerd pid.
stop_engine() {
  local name=$1 grace=${2:-20} exec_root pid
  exec_root=$(engine_exec_root "$name")
  pid=$(read_pidfile "$(engine_pidfile "$name")")
  if is_our_process "$pid" dockerd "$exec_root"; then
    log "engine $name: stopping dockerd (pid $pid)"
    terminate "$pid" "engine $name dockerd" "$grace"
  fi
  # dockerd SIGKILLs its containerd when it dies, but be sure: an orphan
  # would keep the old state alive and the next dockerd would try to reuse it.
  pid=$(read_pidfile "$exec_root/containerd/containerd.pid")
  if is_our_process "$pid" containerd "$exec_root/"; then
    log "engine $name: stopping orphaned containerd (pid $pid)"
    terminate "$pid" "engine $name containerd"
  fi
  kill_orphan_shims "$name"
  rm -f "$(engine_pidfile "$name")" "$(engine_sock "$name")" \
    "$exec_root/containerd/containerd.pid" \
    "$exec_root/containerd/containerd.sock" \
    "$exec_root/containerd/containerd.sock.ttrpc" \
    "$exec_root/containerd/containerd-debug.sock"
}

# kill_orphan_shims NAME: a dockerd killed with SIGKILL leaves its containers'
# containerd-shim processes (and the containers under them) running, and a
# later dockerd over the same exec root can wedge on them: container starts
# hang in libnetwork-setkey. Kill every shim of this engine's exec root, with
# its process tree; only ever processes whose command line names that root.
kill_orphan_shims() {
  local exec_root pid tree child
  exec_root=$(engine_exec_root "$1")
  for pid in $(pgrep -f -- "containerd-shim.*-address $exec_root/" || true); do
    is_our_process "$pid" containerd-shim "$exec_root/" || continue
    tree=$pid
    for child in $(pgrep -P "$pid" || true); do tree+=" $child $(pgrep -P "$child" | tr '\n' ' ' || true)"; done
    log "engine $1: killing a containerd-shim left behind (pid $pid) and its containers"
    # shellcheck disable=SC2086 # a list of pids
    kill -KILL $tree 2>/dev/null || true
  done
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
  # fds 3 and 9 must not be inherited (see lib.sh). Without job control a
  # background job is no process-group leader, so setsid execs in place and $!
  # is dockerd's own pid.
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

# The image's metadata, shared by `docker import` here and `podman import`.
readonly TEST_IMAGE_CHANGES=(--change 'CMD ["/bin/sh"]' --change 'ENV PATH=/bin')
readonly TEST_IMAGE_MESSAGE='docker-dispatch integration test image (busybox-static)'

ensure_image() {
  local host=$1
  if "$DOCKER_CLI" -H "$host" image inspect "$TEST_IMAGE" >/dev/null 2>&1; then
    return 0
  fi
  build_rootfs_tar
  log "importing $TEST_IMAGE into $host"
  "$DOCKER_CLI" -H "$host" import "${TEST_IMAGE_CHANGES[@]}" --message "$TEST_IMAGE_MESSAGE" \
    "$ROOTFS_TAR" "$TEST_IMAGE" >/dev/null
}

# Prove a container can actually run: overlay2 can initialise fine yet fail to
# mount at container start on some nested/sandboxed filesystems (and Podman
# fails every start when its rlimits are wrong, see podman.sh).
smoke_test() {
  local out
  if out=$(timeout -k 5 60 "$DOCKER_CLI" -H "$1" run --rm --network none "$TEST_IMAGE" echo ok 2>&1) && [[ $out == ok ]]; then
    return 0
  fi
  log "smoke test on $1 failed: $out"
  return 1
}

# runs_a_container HOST: a container starts and exits within 20 s, quietly.
runs_a_container() {
  [[ $(timeout -k 5 20 "$DOCKER_CLI" -H "$1" run --rm --network none "$TEST_IMAGE" echo ok 2>/dev/null) == ok ]]
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

  if docker_ping "$host"; then
    # n.b. an engine can answer its ping and still hang every container start
    # (after a dockerd killed under its containers): prove it runs one.
    if ! "$DOCKER_CLI" -H "$host" image inspect "$TEST_IMAGE" >/dev/null 2>&1 || runs_a_container "$host"; then
      log "engine $name: already up, reusing"
      return 0
    fi
    log "engine $name: answers but cannot run a container within 20 s (wedged): restarting it"
  else
    # A dockerd of ours that is alive but not answering may still be booting
    # (e.g. an earlier run was interrupted): give it the normal start-up time
    # before declaring it wedged.
    pid=$(read_pidfile "$(engine_pidfile "$name")")
    if is_our_process "$pid" dockerd "$(engine_exec_root "$name")" && wait_for_engine "$host" "$pid"; then
      log "engine $name: earlier dockerd (pid $pid) came up, reusing"
      return 0
    fi
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

# Bring the three engines up in parallel: each takes 1-2 s normally, but a
# dockerd restarting over containers that were left running spends ~10 s
# stopping them (their stop timeout) before it answers.
engines_up() {
  local pid_a pid_b pid_c status=0
  engine_up a "${ENGINE_A_ARGS[@]}" &
  pid_a=$!
  engine_up b "${ENGINE_B_ARGS[@]}" &
  pid_b=$!
  engine_up c "${ENGINE_C_ARGS[@]}" &
  pid_c=$!
  wait "$pid_a" || status=1
  wait "$pid_b" || status=1
  wait "$pid_c" || status=1
  ((status == 0)) || die "could not bring up the Docker engines (see above)"
}

# Image import and the first-use driver check run sequentially, so the rootfs
# tarball is built at most once.
engines_ready() {
  engine_ready a "${ENGINE_A_ARGS[@]}"
  engine_ready b "${ENGINE_B_ARGS[@]}"
  engine_ready c "${ENGINE_C_ARGS[@]}"
  # Engine B is managed via its unix socket; make sure the address the tests
  # use answers too (e.g. a leftover B started without the TCP listener would not).
  docker_ping "$ENGINE_B_TCP" || die "engine b answers on its unix socket but not on $ENGINE_B_TCP"
}

# For services-stop.sh: stop the engines concurrently, each may wait for its
# containers' stop timeout (dockerd gives them 10 s, then stops its containerd).
stop_engines() {
  local name pids=()
  for name in a b c; do
    if is_our_process "$(read_pidfile "$(engine_pidfile "$name")")" dockerd "$(engine_exec_root "$name")"; then
      stop_engine "$name" 30 &
      pids+=($!)
    else
      log "engine $name: not running"
    fi
  done
  ((${#pids[@]} == 0)) || wait "${pids[@]}" || true
}
