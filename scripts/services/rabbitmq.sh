# shellcheck shell=bash
# The single RabbitMQ broker most tests use: Debian's rabbitmq-server as the
# default node rabbit@<host>, AMQP on 5672 and AMQPS on 5671 (certificates from
# tls.sh), guest/guest from loopback. It is the slowest service, so
# services.sh kicks it off first (start_rabbitmq_if_needed) and waits for it
# last (wait_for_rabbitmq). The 3-node cluster (cluster.sh) is separate.

# shellcheck disable=SC2034 # exported by services.sh
readonly AMQP_URL=amqp://guest:guest@127.0.0.1:5672
# shellcheck disable=SC2034
readonly AMQPS_URL=amqps://guest:guest@localhost:5671
readonly RABBIT_START_LOG=$LOG_DIR/rabbitmq-start.log

amqp_port_open() { port_open 5672; }
rabbit_ping() { rabbit_cli rabbitmq-diagnostics -q ping >/dev/null 2>&1; }
rabbit_pidfile() { echo "/var/lib/rabbitmq/mnesia/rabbit@$(hostname -s).pid"; }

# The Erlang cookie the broker, the cluster nodes (cluster.sh) and the CLI
# tools share. A VM creates it when missing, but several VMs booting at once
# on a fresh machine would race to write it: make it first.
readonly ERLANG_COOKIE=/var/lib/rabbitmq/.erlang.cookie
ensure_erlang_cookie() {
  [[ ! -s $ERLANG_COOKIE ]] || return 0
  log "rabbitmq: creating the Erlang cookie $ERLANG_COOKIE"
  (
    umask 077
    openssl rand -hex 16 | tr -d '\n' >"$ERLANG_COOKIE"
  )
  chown rabbitmq:rabbitmq "$ERLANG_COOKIE"
  chmod 0400 "$ERLANG_COOKIE"
}

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

# The config file is ours only if it carries our header; a config file someone
# else wrote is left alone (and amqps:// is not set up).
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
  RABBIT_CLI_TIMEOUT=60 rabbit_cli rabbitmqctl -q stop "$(rabbit_pidfile)" >&2 || log "rabbitmqctl stop failed"
}

# For services-stop.sh. With the pid file argument, rabbitmqctl also waits for
# the VM to exit.
stop_rabbitmq() {
  if rabbit_ping; then
    log "rabbitmq: stopping"
    RABBIT_CLI_TIMEOUT=60 rabbit_cli rabbitmqctl -q stop "$(rabbit_pidfile)" >&2 || log "rabbitmqctl stop failed"
  else
    log "rabbitmq: not running"
  fi
}
