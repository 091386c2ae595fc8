# shellcheck shell=bash
# A 3-node RabbitMQ cluster for the failover tests, apart from the single
# broker of rabbitmq.sh (other node names, ports and directories):
#   node N (1-3)  dd-cluster-N@<short host>, AMQP on 127.0.0.1:568N, Erlang
#                 distribution on 2568N, data in $DATA_DIR/rabbit-cluster/node-N,
#                 logs in $LOG_DIR/rabbit-cluster-N/ (+ rabbit-cluster-N.start.log)
# Each node has its own rabbitmq.conf (consumer_timeout 60 s, no TLS, guest
# from loopback as usual), an empty enabled-plugins file (no management
# plugin) and an empty rabbitmq-env.conf (so /etc/rabbitmq's never applies).
# Nodes run through Debian's rabbitmq-server wrapper, which as root re-runs the
# real script via `su rabbitmq` - that keeps our RABBITMQ_* variables and sets
# HOME=/var/lib/rabbitmq, so nodes and CLI tools share the broker's Erlang
# cookie. Nodes 2 and 3 are joined to node 1 (stop_app / join_cluster /
# start_app); a member that restarts rejoins by itself.
# This file has the per-node operations (start, wait, probe, stop, kill, wipe),
# used by cluster-node.sh (tests killing and restarting nodes) and by
# cluster-up.sh, which forms and repairs the cluster. Needs lib.sh.

CLUSTER_HOST=$(hostname -s)
readonly CLUSTER_HOST
readonly CLUSTER_DIR=$DATA_DIR/rabbit-cluster

cluster_node() { echo "dd-cluster-$1@$CLUSTER_HOST"; }
cluster_port() { echo $((5680 + $1)); }
cluster_node_dir() { echo "$CLUSTER_DIR/node-$1"; }
cluster_mnesia_base() { echo "$CLUSTER_DIR/node-$1/mnesia"; }
cluster_pidfile() { echo "$CLUSTER_DIR/node-$1/mnesia/dd-cluster-$1@$CLUSTER_HOST.pid"; }
cluster_log_dir() { echo "$LOG_DIR/rabbit-cluster-$1"; }
cluster_start_log() { echo "$LOG_DIR/rabbit-cluster-$1.start.log"; }

cluster_amqp_urls() {
  echo "amqp://guest:guest@127.0.0.1:5681,amqp://guest:guest@127.0.0.1:5682,amqp://guest:guest@127.0.0.1:5683"
}
cluster_node_names() { echo "$(cluster_node 1),$(cluster_node 2),$(cluster_node 3)"; }

# cluster_ctl N ARGS...: rabbitmqctl against node N.
cluster_ctl() {
  local n=$1
  shift
  rabbit_cli rabbitmqctl -q -n "$(cluster_node "$n")" "$@"
}

# is_cluster_beam PID N: PID is node N's Erlang VM. The VM's command line does
# not name the node (the name comes from the environment), so check that.
is_cluster_beam() {
  local pid=$1 comm env
  [[ $pid =~ ^[0-9]+$ ]] || return 1
  pid_alive "$pid" || return 1
  { read -r comm <"/proc/$pid/comm"; } 2>/dev/null && [[ $comm == beam.smp ]] || return 1
  env=$(tr '\0' '\n' <"/proc/$pid/environ" 2>/dev/null) || return 1
  [[ $'\n'$env$'\n' == *$'\n'"RABBITMQ_MNESIA_BASE=$(cluster_mnesia_base "$2")"$'\n'* ]]
}

# cluster_pid N: print node N's beam.smp pid (from its pid file, or - while the
# VM has not written it yet - by looking through /proc).
cluster_pid() {
  local n=$1 pid dir
  pid=$(read_pidfile "$(cluster_pidfile "$n")")
  if is_cluster_beam "$pid" "$n"; then
    echo "$pid"
    return 0
  fi
  for dir in /proc/[0-9]*; do
    pid=${dir#/proc/}
    if is_cluster_beam "$pid" "$n"; then
      echo "$pid"
      return 0
    fi
  done
  return 1
}

# cluster_probe N: ask node N how it is, in one CLI call (~0.4 s). Sets
# PROBE_STATE (running | booting | stopped: VM up, rabbit app not running |
# down: not reachable), and PROBE_RUNNING / PROBE_MEMBERS: the nodes it sees
# running / the cluster members it knows, as ",a,b,".
readonly CLUSTER_PROBE_ERL='S = case rabbit:is_running() of true -> running;
  false -> case rabbit:is_booting() of true -> booting; false -> stopped end end,
J = fun(L) -> string:join([atom_to_list(N) || N <- L], ",") end,
R = case S of running -> try rabbit_nodes:all_running() catch _:_ -> [] end; _ -> [] end,
M = try rabbit_mnesia:cluster_nodes(all) catch _:_ -> [] end,
list_to_atom(lists:flatten([atom_to_list(S), " running=", J(R), " members=", J(M)])).'
cluster_probe() {
  local out
  PROBE_STATE=down PROBE_RUNNING=, PROBE_MEMBERS=,
  cluster_pid "$1" >/dev/null || return 1 # spares the CLI's boot when there is no VM
  out=$(cluster_ctl "$1" eval "$CLUSTER_PROBE_ERL" 2>/dev/null) || return 1
  out=${out//\'/}
  [[ $out =~ ^([a-z]+)\ running=([^ ]*)\ members=([^ ]*)$ ]] || return 1
  PROBE_STATE=${BASH_REMATCH[1]}
  # shellcheck disable=SC2034 # read by the callers
  PROBE_RUNNING=,${BASH_REMATCH[2]}, PROBE_MEMBERS=,${BASH_REMATCH[3]},
}

cluster_configured() { [[ -f $(cluster_node_dir "$1")/rabbitmq.conf ]]; }

# cluster_write_conf N: node N's config files; returns 0 if rabbitmq.conf changed.
cluster_write_conf() {
  local n=$1 dir conf
  dir=$(cluster_node_dir "$n")
  conf="# Written by docker-dispatch scripts/services/cluster.sh: node $n of the test cluster ($(cluster_node "$n")).
listeners.tcp.local = 127.0.0.1:$(cluster_port "$n")
# A delivery not acked within 60 s closes its channel (the long-run tests rely on it).
consumer_timeout = 60000
# A node that restarts while its peers are down waits for them at most 60 s, then stops.
mnesia_table_loading_retry_timeout = 10000
mnesia_table_loading_retry_limit = 6
log.console = false
log.file.level = info"
  mkdir -p "$dir" "$(cluster_mnesia_base "$n")" "$(cluster_log_dir "$n")"
  chown rabbitmq:rabbitmq "$dir" "$(cluster_mnesia_base "$n")" "$(cluster_log_dir "$n")"
  [[ -f $dir/enabled_plugins ]] || echo '[].' >"$dir/enabled_plugins"
  [[ -f $dir/rabbitmq-env.conf ]] || : >"$dir/rabbitmq-env.conf"
  [[ -f $dir/rabbitmq.conf && $(<"$dir/rabbitmq.conf") == "$conf" ]] && return 1
  printf '%s\n' "$conf" >"$dir/rabbitmq.conf"
}

# cluster_start_node N: start node N's VM (rabbitmq-server -detached returns
# at once; cluster_wait_node waits). Only when it has no VM running.
cluster_start_node() {
  local n=$1 dir log_file var unset_env=()
  dir=$(cluster_node_dir "$n")
  log_file=$(cluster_start_log "$n")
  # A pid file naming a dead (or recycled) pid is harmless, but remove it so
  # nothing trusts it; mnesia recovers from an unclean stop itself.
  rm -f "$(cluster_pidfile "$n")"
  # RABBITMQ_* from the caller's environment (e.g. RABBITMQ_MNESIA_DIR) would
  # override ours.
  for var in $(compgen -e); do
    [[ $var != RABBITMQ_* ]] || unset_env+=(-u "$var")
  done
  log "cluster: starting node $n ($(cluster_node "$n")); log: $log_file and $(cluster_log_dir "$n")/"
  printf '\n===== %s cluster.sh: rabbitmq-server -detached\n' "$(date -Is)" >>"$log_file"
  # fds 3 and 9 must not be inherited (see lib.sh).
  env "${unset_env[@]}" \
    RABBITMQ_NODENAME="$(cluster_node "$n")" \
    RABBITMQ_NODE_IP_ADDRESS=127.0.0.1 \
    RABBITMQ_NODE_PORT="$(cluster_port "$n")" \
    RABBITMQ_DIST_PORT=$((25680 + n)) \
    RABBITMQ_MNESIA_BASE="$(cluster_mnesia_base "$n")" \
    RABBITMQ_PID_FILE="$(cluster_pidfile "$n")" \
    RABBITMQ_LOG_BASE="$(cluster_log_dir "$n")" \
    RABBITMQ_CONFIG_FILE="$dir/rabbitmq.conf" \
    RABBITMQ_ADVANCED_CONFIG_FILE="$dir/advanced.config" \
    RABBITMQ_ENABLED_PLUGINS_FILE="$dir/enabled_plugins" \
    RABBITMQ_CONF_ENV_FILE="$dir/rabbitmq-env.conf" \
    rabbitmq-server -detached >>"$log_file" 2>&1 </dev/null 3>&- 9>&-
}

# cluster_wait_node N: wait until node N's rabbit app runs. Returns 0 when it
# does, 2 when its VM is up but the app stays stopped (e.g. a join was
# interrupted between stop_app and start_app), 1 when the VM is gone or the
# node is not up within RABBIT_START_TIMEOUT.
cluster_wait_node() {
  local n=$1 deadline=$((SECONDS + RABBIT_START_TIMEOUT)) no_vm_since=$SECONDS stopped=0
  while ((SECONDS < deadline)); do
    if cluster_probe "$n"; then
      no_vm_since=$SECONDS
      case $PROBE_STATE in
        running) port_open "$(cluster_port "$n")" && return 0 ;;
        # Not booting and not running: seen three times running, it is for real.
        stopped) ((++stopped < 3)) || return 2 ;;
        *) stopped=0 ;;
      esac
    elif cluster_pid "$n" >/dev/null; then
      no_vm_since=$SECONDS
    elif ((SECONDS - no_vm_since > 10)); then
      # -detached forks the VM off; give it a moment to appear at all.
      log "cluster: node $n is not running (see $(cluster_start_log "$n") and $(cluster_log_dir "$n")/)"
      return 1
    fi
    sleep 1
  done
  log "cluster: node $n not up after ${RABBIT_START_TIMEOUT}s"
  return 1
}

# cluster_stop_node N: stop node N cleanly (rabbitmqctl stop waits for the VM
# to exit), or terminate its VM if it does not answer.
cluster_stop_node() {
  local n=$1 pid
  pid=$(cluster_pid "$n") || return 0
  log "cluster: stopping node $n (pid $pid)"
  RABBIT_CLI_TIMEOUT=60 cluster_ctl "$n" stop "$(cluster_pidfile "$n")" >/dev/null 2>&1 || true
  ! pid_alive "$pid" || terminate "$pid" "cluster node $n"
}

# cluster_kill_node N: SIGKILL node N's VM (a crash, for the failover tests).
# The pid file stays behind, as after a real crash.
cluster_kill_node() {
  local n=$1 pid i
  pid=$(cluster_pid "$n") || return 1
  log "cluster: killing node $n (kill -KILL $pid)"
  kill -KILL "$pid"
  for ((i = 0; i < 50; i++)); do
    pid_alive "$pid" || return 0
    sleep 0.1
  done
  die "node $n (pid $pid) survived SIGKILL"
}

# cluster_wipe_node N: stop node N and delete its data (it starts afresh, on
# its own, and must be joined again). Config and logs stay.
cluster_wipe_node() {
  local n=$1 pid
  if pid=$(cluster_pid "$n"); then terminate "$pid" "cluster node $n" 10; fi
  log "cluster: wiping node $n's data ($(cluster_mnesia_base "$n"))"
  rm -rf "$(cluster_mnesia_base "$n")"
  mkdir -p "$(cluster_mnesia_base "$n")"
  chown rabbitmq:rabbitmq "$(cluster_mnesia_base "$n")"
}

# cluster_ctl_logged N ARGS...: cluster_ctl with the CLI's chatter (feature
# flag warnings and the like) in node N's start log; shows it on failure.
cluster_ctl_logged() {
  local n=$1 out lines
  shift
  out=$(cluster_start_log "$n")
  printf '\n===== %s cluster.sh: rabbitmqctl %s\n' "$(date -Is)" "$*" >>"$out"
  lines=$(wc -l <"$out")
  cluster_ctl "$n" "$@" >>"$out" 2>&1 && return 0
  log "cluster: rabbitmqctl -n $(cluster_node "$n") $* failed:"
  tail -n +$((lines + 1)) "$out" | head -n 20 >&2
  return 1
}
