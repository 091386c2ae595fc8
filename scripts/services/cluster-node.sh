#!/usr/bin/env bash
# Start, kill, stop or inspect one node of the test RabbitMQ cluster that
# `scripts/services.sh --cluster` brings up (see cluster.sh), as root:
#
#   scripts/services/cluster-node.sh start  N   start node N (1-3) if it is not running, wait until its
#                                               app runs and it sees every other live node running again
#   scripts/services/cluster-node.sh kill   N   SIGKILL node N's beam.smp (a crash; pid file left behind)
#   scripts/services/cluster-node.sh stop   N   stop node N cleanly (rabbitmqctl stop)
#   scripts/services/cluster-node.sh pid    N   print node N's beam.smp pid
#   scripts/services/cluster-node.sh status N   print running | booting | stopped (VM up, app not running) | down
#   scripts/services/cluster-node.sh leader QUEUE [VHOST]
#                                               print the node leading a quorum or stream queue (vhost /)
#
# Exit status: 0 on success (status: only when running), 1 on failure (kill/pid: node not running),
# 64 on a usage error. Progress goes to stderr; stdout carries only what pid/status/leader print.
#
# From a test, e.g. killing a quorum queue's leader (Node, child_process.execFileSync):
#   const leader = execFileSync('scripts/services/cluster-node.sh', ['leader', queue]).toString().trim();
#   const n = /^dd-cluster-(\d)@/.exec(leader)[1];         // 'dd-cluster-2@host' -> '2'
#   execFileSync('scripts/services/cluster-node.sh', ['kill', n]);   // ... assert the worker copes ...
#   execFileSync('scripts/services/cluster-node.sh', ['start', n]);  // back, rejoined, running (~5 s)
# By hand: rabbitmqctl -n dd-cluster-1@$(hostname -s) list_queues name type leader members online
#          rabbitmq-queues -n dd-cluster-1@$(hostname -s) quorum_status QUEUE   (Raft State per node)
# No lock is taken: tests call this while their services run; don't run it during services.sh.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SERVICES_LOG_PREFIX=cluster-node
# shellcheck source=scripts/services/lib.sh
source "$here/lib.sh"
# shellcheck source=scripts/services/cluster.sh
source "$here/cluster.sh"

usage() {
  sed -n '4,15p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2
  exit 64
}

require_root "it manages RabbitMQ nodes"
cmd=${1:-}
case $cmd in
  start | kill | stop | pid | status)
    [[ $# -eq 2 && $2 =~ ^[123]$ ]] || usage
    n=$2
    cluster_configured "$n" || die "node $n was never set up: run scripts/services.sh --cluster first"
    ;;
  leader) [[ $# -eq 2 || $# -eq 3 ]] || usage ;;
  *) usage ;;
esac

# Node N's view lists every other node whose VM is alive as running.
sees_live_peers() {
  local m
  for m in 1 2 3; do
    ((m != n)) || continue
    cluster_pid "$m" >/dev/null || continue
    [[ $PROBE_RUNNING == *",$(cluster_node "$m"),"* ]] || return 1
  done
}

case $cmd in
  start)
    if cluster_probe "$n" && [[ $PROBE_STATE == running ]]; then
      log "node $n: already running"
    else
      cluster_pid "$n" >/dev/null || cluster_start_node "$n" || die "node $n: rabbitmq-server failed (see $(cluster_start_log "$n"))"
      rc=0
      cluster_wait_node "$n" || rc=$?
      if ((rc == 2)); then
        log "node $n: app stopped; starting it"
        RABBIT_CLI_TIMEOUT=90 cluster_ctl_logged "$n" start_app || die "node $n: start_app failed"
        cluster_wait_node "$n" || rc=1
      fi
      ((rc != 1)) || die "node $n did not start (logs: $(cluster_log_dir "$n")/)"
    fi
    deadline=$((SECONDS + RABBIT_START_TIMEOUT))
    until cluster_probe "$n" && [[ $PROBE_STATE == running ]] && sees_live_peers; do
      ((SECONDS < deadline)) || die "node $n runs but has not rejoined its live peers (sees ${PROBE_RUNNING:-nothing})"
      sleep 0.5
    done
    log "node $n: running; running nodes: $(echo "${PROBE_RUNNING:1:-1}" | tr , ' ')"
    ;;
  kill)
    cluster_kill_node "$n" || die "node $n is not running"
    ;;
  stop)
    if cluster_pid "$n" >/dev/null; then cluster_stop_node "$n"; else log "node $n: not running"; fi
    ;;
  pid)
    cluster_pid "$n" || exit 1
    ;;
  status)
    if cluster_probe "$n"; then
      echo "$PROBE_STATE"
    elif cluster_pid "$n" >/dev/null; then
      echo booting # a VM not answering yet
    else
      echo down
    fi
    [[ $PROBE_STATE == running ]]
    ;;
  leader)
    queue=$2 vhost=${3:-/}
    for m in 1 2 3; do
      if ! cluster_probe "$m" || [[ $PROBE_STATE != running ]]; then continue; fi
      # One "name<TAB>leader" line per queue.
      out=$(cluster_ctl "$m" list_queues -p "$vhost" name leader --no-table-headers) || continue
      while IFS=$'\t' read -r name leader; do
        if [[ $name == "$queue" ]]; then
          [[ -n $leader && $leader != "''" ]] || die "queue $queue has no leader (is it a quorum or stream queue?)"
          echo "$leader"
          exit 0
        fi
      done <<<"$out"
      die "no queue $queue in vhost $vhost"
    done
    die "no cluster node is running"
    ;;
esac
