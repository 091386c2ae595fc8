# shellcheck shell=bash
# A Podman engine serving the Docker Engine API (Debian's podman 4.3, as root):
#   unix:///run/docker-dispatch-test/podman.sock
# with its own storage (vfs) under /var/lib/docker-dispatch-test/podman, its
# run-time state under /run/docker-dispatch-test, its own containers.conf,
# storage.conf and registries.conf (so a system Podman's configuration never
# leaks in; the test registry on 127.0.0.1:5000 is plain HTTP), and the
# test image imported as docker.io/library/docker-dispatch-test:busybox - the
# name Docker's normalisation gives the short docker-dispatch-test:busybox.
# Needs lib.sh, engines.sh (build_rootfs_tar, smoke_test) and pick_docker_cli.

readonly PODMAN_SOCK=$RUN_DIR/podman.sock
readonly PODMAN_HOST=unix://$PODMAN_SOCK
readonly PODMAN_ROOT=$DATA_DIR/podman         # images, containers, libpod database
readonly PODMAN_RUNROOT=$RUN_DIR/podman-run   # storage run-time state
readonly PODMAN_TMPDIR=$RUN_DIR/podman-tmp    # libpod run-time state: locks, exit codes, events log
readonly PODMAN_CONF=$DATA_DIR/podman-containers.conf
readonly PODMAN_STORAGE_CONF=$DATA_DIR/podman-storage.conf
readonly PODMAN_REGISTRIES_CONF=$DATA_DIR/podman-registries.conf
# The rlimits the service was last seen running with (see podman_conf).
readonly PODMAN_ULIMITS_FILE=$DATA_DIR/podman.ulimits
readonly PODMAN_PIDFILE=$RUN_DIR/podman.pid
# The pid of the service a container was last seen running on: the smoke test
# runs once per service process, not on every warm run.
readonly PODMAN_VERIFIED_FILE=$RUN_DIR/podman.verified
readonly PODMAN_LOG=$LOG_DIR/podman.log
readonly PODMAN_IMAGE=docker.io/library/$TEST_IMAGE
readonly PODMAN_ARGS=(--root "$PODMAN_ROOT" --runroot "$PODMAN_RUNROOT" --storage-driver vfs)

# The service and podman CLI calls on its storage (import, stop) share this.
readonly PODMAN_ENV=(CONTAINERS_CONF="$PODMAN_CONF" CONTAINERS_STORAGE_CONF="$PODMAN_STORAGE_CONF"
  CONTAINERS_REGISTRIES_CONF="$PODMAN_REGISTRIES_CONF")
podman_cli() {
  env "${PODMAN_ENV[@]}" timeout 120 podman "${PODMAN_ARGS[@]}" "$@" </dev/null 3>&- 9>&-
}

podman_pid() {
  local pid
  pid=$(read_pidfile "$PODMAN_PIDFILE")
  if is_our_process "$pid" podman "$PODMAN_SOCK"; then echo "$pid"; fi
}

# The runtime sets each container's rlimits (nofile and nproc default to
# 1048576 for root); raising them above the service's own hard limits needs
# CAP_SYS_RESOURCE, which root may lack (in a container or sandbox), and then
# EVERY start fails with "error setting rlimit type 7: operation not
# permitted". So containers get exactly the service's limits. They are known
# for sure only once it runs (/proc/PID/limits): predict them the way podman
# sets them (nofile raised to the hard limit, nproc lowered to 32768), use the
# values last seen if any, and restart the service once if the guess was wrong.
podman_predicted_ulimits() {
  if [[ -s $PODMAN_ULIMITS_FILE ]]; then
    cat "$PODMAN_ULIMITS_FILE"
    return 0
  fi
  local nofile nproc
  nofile=$(ulimit -Hn)
  if [[ $nofile == unlimited ]] || ((nofile > 1048576)); then nofile=1048576; fi
  nproc=$(ulimit -Hu)
  if [[ $nproc == unlimited ]] || ((nproc > 32768)); then nproc=32768; fi
  echo "nofile=$nofile:$nofile nproc=$nproc:$nproc"
}

# podman_service_ulimits PID: "nofile=SOFT:HARD nproc=SOFT:HARD" of the process.
podman_service_ulimits() {
  local line soft hard nofile="" nproc=""
  while IFS= read -r line; do
    [[ $line =~ ^Max\ (open\ files|processes)\ +([0-9]+|unlimited)\ +([0-9]+|unlimited) ]] || continue
    soft=${BASH_REMATCH[2]/unlimited/-1}
    hard=${BASH_REMATCH[3]/unlimited/-1}
    if [[ ${BASH_REMATCH[1]} == processes ]]; then nproc="$soft:$hard"; else nofile="$soft:$hard"; fi
  done <"/proc/$1/limits"
  [[ -n $nofile && -n $nproc ]] || return 1
  echo "nofile=$nofile nproc=$nproc"
}

# write_if_changed FILE CONTENT: returns 0 if the file had to be (re)written.
write_if_changed() {
  [[ -f $1 && $(<"$1") == "$2" ]] && return 1
  printf '%s\n' "$2" >"$1"
}

# podman_conf ULIMITS: write the service's configuration for these limits;
# returns 0 if it changed (a running service must restart).
podman_conf() {
  local nofile=${1%% *} nproc=${1##* } conf storage registries changed=1
  conf="# Written by docker-dispatch scripts/services/podman.sh (CONTAINERS_CONF of the test Podman service).
[containers]
# Tests run with --network none; no default network means no CNI set-up at all.
netns = \"none\"
# The service's own limits; see podman_predicted_ulimits.
default_ulimits = [\"$nofile\", \"$nproc\"]

[engine]
# No systemd here; events to a file (no journald).
cgroup_manager = \"cgroupfs\"
events_logger = \"file\"
tmp_dir = \"$PODMAN_TMPDIR\"

[network]
network_config_dir = \"$PODMAN_ROOT/networks\""
  storage="# Written by docker-dispatch scripts/services/podman.sh (CONTAINERS_STORAGE_CONF of the test Podman service).
[storage]
driver = \"vfs\"
graphroot = \"$PODMAN_ROOT\"
runroot = \"$PODMAN_RUNROOT\""
  registries="# Written by docker-dispatch scripts/services/podman.sh (CONTAINERS_REGISTRIES_CONF of the test Podman service).
# The test registry (registry.sh) speaks plain HTTP; dockerd allows that for 127.0.0.0/8 by default, Podman must be told.
[[registry]]
location = \"127.0.0.1:5000\"
insecure = true

[[registry]]
location = \"localhost:5000\"
insecure = true"
  ! write_if_changed "$PODMAN_CONF" "$conf" || changed=0
  ! write_if_changed "$PODMAN_STORAGE_CONF" "$storage" || changed=0
  ! write_if_changed "$PODMAN_REGISTRIES_CONF" "$registries" || changed=0
  return "$changed"
}

# Stop our service if it runs (containers keep running under their conmon) and
# remove what a dead one leaves behind: pid file, socket, verified marker.
stop_podman_service() {
  local pid
  pid=$(podman_pid)
  if [[ -n $pid ]]; then
    log "podman: stopping the service (pid $pid)"
    terminate "$pid" "podman service"
  fi
  rm -f "$PODMAN_PIDFILE" "$PODMAN_SOCK" "$PODMAN_VERIFIED_FILE"
}

start_podman_service() {
  local pid
  mkdir -p "$PODMAN_ROOT" "$PODMAN_RUNROOT" "$PODMAN_TMPDIR"
  log "podman: starting the service; log: $PODMAN_LOG"
  printf '\n===== %s services.sh: podman %s system service --time=0 %s\n' \
    "$(date -Is)" "${PODMAN_ARGS[*]}" "$PODMAN_HOST" >>"$PODMAN_LOG"
  # As for dockerd (engines.sh): own session, fds 3 and 9 closed, and $! is
  # podman's own pid (setsid, nohup and env all exec in place).
  setsid nohup env "${PODMAN_ENV[@]}" podman "${PODMAN_ARGS[@]}" system service --time=0 "$PODMAN_HOST" \
    >>"$PODMAN_LOG" 2>&1 </dev/null 3>&- 9>&- &
  pid=$!
  echo "$pid" >"$PODMAN_PIDFILE"
  if ! wait_for_engine "$PODMAN_HOST" "$pid"; then
    log "podman: the service did not answer within ${ENGINE_START_TIMEOUT}s; last log lines:"
    tail -n 30 "$PODMAN_LOG" >&2
    return 1
  fi
  log "podman: up (pid $pid)"
}

# Make sure the service runs with a containers.conf matching its limits:
# reuse it, wait for a still-booting one, or clean up and start afresh.
podman_up() {
  local pid conf_changed=false want got
  want=$(podman_predicted_ulimits)
  ! podman_conf "$want" || conf_changed=true
  pid=$(podman_pid)
  if [[ -n $pid && $conf_changed == false ]] && wait_for_engine "$PODMAN_HOST" "$pid"; then
    log "podman: already up, reusing (pid $pid)"
  else
    [[ $conf_changed == false || -z $pid ]] || log "podman: its configuration changed; restarting the service"
    stop_podman_service
    start_podman_service || die "podman failed to start (log: $PODMAN_LOG)"
    pid=$(podman_pid)
  fi
  got=$(podman_service_ulimits "$pid") || die "podman: cannot read the limits of pid $pid"
  echo "$got" >"$PODMAN_ULIMITS_FILE"
  [[ $got != "$want" ]] || return 0
  log "podman: the service runs with $got, not $want; rewriting containers.conf and restarting it"
  podman_conf "$got" || true
  stop_podman_service
  start_podman_service || die "podman failed to start (log: $PODMAN_LOG)"
  pid=$(podman_pid)
  got=$(podman_service_ulimits "$pid") || die "podman: cannot read the limits of pid $pid"
  [[ $got == "$(cat "$PODMAN_ULIMITS_FILE")" ]] || die "podman: the service's limits keep changing ($got)"
}

# The (running) service has the test image under its fully qualified name, the
# short name resolves to it through the Docker API, and - once per service
# process - a container really runs.
podman_ready() {
  local pid
  if ! "$DOCKER_CLI" -H "$PODMAN_HOST" image inspect "$TEST_IMAGE" >/dev/null 2>&1; then
    build_rootfs_tar
    log "importing $PODMAN_IMAGE into $PODMAN_HOST"
    podman_cli import --quiet "${TEST_IMAGE_CHANGES[@]}" --message "$TEST_IMAGE_MESSAGE" \
      "$ROOTFS_TAR" "$PODMAN_IMAGE" >/dev/null || die "podman import failed"
  fi
  pid=$(podman_pid)
  [[ -n $pid ]] || die "podman: the service is gone (log: $PODMAN_LOG)"
  [[ $(read_pidfile "$PODMAN_VERIFIED_FILE") != "$pid" ]] || return 0
  smoke_test "$PODMAN_HOST" || die "podman cannot run containers (log: $PODMAN_LOG; config: $PODMAN_CONF)"
  echo "$pid" >"$PODMAN_VERIFIED_FILE"
  log "podman: containers run"
}

# For services-stop.sh: stop the containers (dockerd does so for its own when
# it stops; Podman's outlive the service under conmon), then the service.
stop_podman() {
  [[ -n $(podman_pid) ]] || log "podman: the service is not running"
  if [[ -f $PODMAN_CONF && -d $PODMAN_ROOT ]] && [[ -n $(podman_cli ps --quiet 2>/dev/null) ]]; then
    log "podman: stopping its running containers"
    podman_cli stop --all --time 10 >/dev/null || log "podman: stopping the containers failed"
  fi
  stop_podman_service
}
