# shellcheck shell=bash
# Forming the 3-node test cluster (nodes from cluster.sh) and keeping it whole:
# services.sh --cluster calls cluster_start_if_needed early (the nodes boot
# while the engines come up) and cluster_ready last; services-stop.sh calls
# stop_cluster. Leftovers are repaired: a dead node is restarted (a member
# rejoins by itself), a member with its app stopped is started, a node that is
# no member (fresh, or wiped or reset behind the cluster's back) is reset and
# joined to node 1, and as a last resort all three start again from empty data.
# Needs lib.sh, rabbitmq.sh (the Erlang cookie) and cluster.sh.

# cluster_rejoin N: reset node N and join it to node 1 (its rabbit app
# stopped). force_reset, not reset: reset would first try to leave the old
# cluster, which fails when that cluster is what broke (e.g. node 1 came back
# with empty data), and node 1 is told to forget the node anyway.
cluster_rejoin() {
  local n=$1 node
  node=$(cluster_node "$n")
  cluster_ctl_logged "$n" force_reset || return 1
  # Node 1 may still list the node from an earlier life (e.g. its data was wiped).
  if cluster_probe 1 && [[ $PROBE_MEMBERS == *",$node,"* ]]; then
    cluster_ctl_logged 1 forget_cluster_node "$node" || log "cluster: forget_cluster_node $node failed; joining anyway"
  fi
  cluster_ctl_logged "$n" join_cluster "$(cluster_node 1)" || return 1
  RABBIT_CLI_TIMEOUT=90 cluster_ctl_logged "$n" start_app || return 1
  cluster_wait_node "$n"
}

# cluster_form: nodes 2 and 3 run clustered with node 1 (which runs). A member
# whose app is merely stopped is started; a node that is not a member (fresh,
# or reset or wiped behind the cluster's back) is reset and joined - after its
# app is stopped and node 1 forgot it, since a stale member that came back
# with empty data makes the other members' mnesia fail to start ("Bad cookie
# in table definition").
cluster_form() {
  local n node node1 running1 members1 to_start=() to_join=()
  node1=$(cluster_node 1)
  cluster_probe 1 || return 1
  running1=$PROBE_RUNNING members1=$PROBE_MEMBERS
  for n in 2 3; do
    node=$(cluster_node "$n")
    cluster_probe "$n" || return 1
    if [[ $PROBE_STATE == running && $PROBE_RUNNING == *",$node1,"* && $running1 == *",$node,"* ]]; then
      continue
    elif [[ $PROBE_MEMBERS == *",$node1,"* && $members1 == *",$node,"* ]]; then
      if [[ $PROBE_STATE == stopped ]]; then
        log "cluster: node $n is a member with its app stopped; starting it"
      else
        # Running apart from node 1 (a partition, e.g. after a SIGSTOP): restarting the app heals it.
        log "cluster: node $n is a member but does not see node 1 running; restarting its app"
        cluster_ctl_logged "$n" stop_app || return 1
      fi
      to_start+=("$n")
    else
      if [[ $PROBE_MEMBERS == ",$node," ]]; then
        log "cluster: joining node $n to node 1"
      else
        log "cluster: node $n is not clustered with node 1 (members: ${PROBE_MEMBERS:1:-1}); resetting and joining it"
      fi
      to_join+=("$n")
      [[ $PROBE_STATE == stopped ]] || cluster_ctl_logged "$n" stop_app || return 1
      if [[ $members1 == *",$node,"* ]]; then
        cluster_ctl_logged 1 forget_cluster_node "$node" || log "cluster: forget_cluster_node $node failed; going on"
      fi
    fi
  done
  for n in "${to_start[@]}"; do
    if ! RABBIT_CLI_TIMEOUT=90 cluster_ctl_logged "$n" start_app || ! cluster_wait_node "$n"; then
      log "cluster: node $n does not start as a member; resetting and joining it"
      cluster_ctl_logged "$n" stop_app || true
      to_join+=("$n")
    fi
  done
  for n in "${to_join[@]}"; do
    cluster_rejoin "$n" || log "cluster: could not join node $n to node 1"
  done
}

# All three VMs run and node 1 sees all three running.
cluster_healthy() {
  local n
  for n in 1 2 3; do port_open "$(cluster_port "$n")" || return 1; done
  cluster_probe 1 || return 1
  [[ $PROBE_STATE == running ]] || return 1
  for n in 1 2 3; do [[ $PROBE_RUNNING == *",$(cluster_node "$n"),"* ]] || return 1; done
}

# Kick off the nodes that are not running (all at once: nodes that were
# stopped together wait for each other's tables at boot). A node whose config
# changed is restarted.
cluster_start_if_needed() {
  local n
  ensure_erlang_cookie
  for n in 1 2 3; do
    if cluster_write_conf "$n" && cluster_pid "$n" >/dev/null; then
      log "cluster: node $n's configuration changed; restarting it"
      cluster_stop_node "$n"
    fi
    cluster_pid "$n" >/dev/null || cluster_start_node "$n" || die "cluster: could not start node $n"
  done
}

# Wait for the nodes and form the cluster, repairing what leftovers broke:
# a node that does not come up is wiped and started afresh, a node that is not
# clustered with node 1 is reset and joined; if that still leaves no healthy
# cluster, start all over from empty nodes.
cluster_ready() {
  if cluster_healthy; then
    log "cluster: already up, reusing ($(cluster_node_names))"
    return 0
  fi
  local n rc attempt
  for attempt in 1 2; do
    for n in 1 2 3; do
      rc=0
      cluster_wait_node "$n" || rc=$?
      if ((rc == 2 && n == 1)); then
        log "cluster: node 1's app is stopped; starting it"
        rc=1
        if RABBIT_CLI_TIMEOUT=90 cluster_ctl_logged 1 start_app && cluster_wait_node 1; then rc=0; fi
      fi
      if ((rc == 1)); then
        cluster_wipe_node "$n"
        cluster_start_node "$n" || die "cluster: could not start node $n"
        cluster_wait_node "$n" || die "cluster: node $n does not start even with empty data (logs: $(cluster_log_dir "$n")/)"
      fi
    done
    cluster_form || log "cluster: could not form the cluster"
    if cluster_healthy; then
      log "cluster: up ($(cluster_node_names))"
      return 0
    fi
    ((attempt == 1)) || break
    log "cluster: still not formed; starting it again from empty nodes"
    for n in 1 2 3; do cluster_wipe_node "$n"; done
    for n in 1 2 3; do cluster_start_node "$n" || die "cluster: could not start node $n"; done
  done
  die "cluster: could not form the 3-node cluster (logs: $LOG_DIR/rabbit-cluster-*/)"
}

# For services-stop.sh: stop the nodes together (nodes stopped together can
# start together; a node stopped alone waits at boot for the last one that ran).
stop_cluster() {
  local n pids=()
  for n in 1 2 3; do
    if cluster_pid "$n" >/dev/null; then
      cluster_stop_node "$n" &
      pids+=($!)
    else
      log "cluster: node $n not running"
    fi
  done
  ((${#pids[@]} == 0)) || wait "${pids[@]}" || true
}
