# shellcheck shell=bash
# A local image registry on 127.0.0.1:5000 for the pull tests (engines allow
# 127.0.0.0/8 registries over plain HTTP): Debian's docker-registry, installed
# on first use, run as our own instance with our own config and data dir (not
# the packaged service).

readonly REGISTRY_ADDR=127.0.0.1:5000
readonly REGISTRY_DIR=$DATA_DIR/registry
readonly REGISTRY_PIDFILE=$RUN_DIR/registry.pid

registry_port_open() { port_open 5000; }

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
    if registry_port_open; then
      log "registry: up on $REGISTRY_ADDR"
      return 0
    fi
    sleep 0.2
  done
  tail -n 20 "$LOG_DIR/registry.log" >&2 || true
  die "the registry did not start on $REGISTRY_ADDR"
}

# For services-stop.sh.
stop_registry() {
  local pid
  pid=$(read_pidfile "$REGISTRY_PIDFILE")
  if is_our_process "$pid" docker-registry "$REGISTRY_DIR/config.yml"; then
    log "registry: stopping (pid $pid)"
    terminate "$pid" registry
  else
    log "registry: not running"
  fi
  rm -f "$REGISTRY_PIDFILE"
}
