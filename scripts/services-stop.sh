#!/usr/bin/env bash
# Stop what scripts/services.sh started: the test Docker engines (SIGTERM via
# their pid files, then wait; SIGKILL as a last resort) and RabbitMQ.
# Data roots and recorded storage drivers are kept, so the next services.sh run
# reuses the imported test image. For local use; run as root.
set -euo pipefail
export PATH="$PATH:/usr/local/sbin:/usr/sbin:/sbin"

readonly RUN_DIR=/run/docker-dispatch-test

log() { printf '[services-stop] %s\n' "$*" >&2; }

pid_alive() {
  local stat
  stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
  stat=${stat##*) }
  [[ ${stat:0:1} != Z ]]
}

# Only signal the pid if it is really this engine's dockerd: pid files outlive
# their processes and the pid may since belong to something else.
is_engine_dockerd() {
  local pid=$1 exec_root=$2 cmdline
  [[ $pid =~ ^[0-9]+$ ]] || return 1
  pid_alive "$pid" || return 1
  [[ $(cat "/proc/$pid/comm" 2>/dev/null) == dockerd ]] || return 1
  cmdline=$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null) || return 1
  [[ $cmdline == *"$exec_root"* ]]
}

stop_engine() {
  local name=$1 pidfile exec_root pid i
  pidfile=$RUN_DIR/engine-$name.pid
  exec_root=$RUN_DIR/engine-$name-exec
  pid=""
  if [[ -f $pidfile ]]; then pid=$(tr -dc '0-9' <"$pidfile" || true); fi
  if ! is_engine_dockerd "$pid" "$exec_root"; then
    log "engine $name: not running"
    return 0
  fi
  log "engine $name: stopping dockerd (pid $pid)"
  kill -TERM "$pid" 2>/dev/null || return 0
  # dockerd gives running containers 10 s to stop, then shuts its containerd down.
  for ((i = 0; i < 150; i++)); do
    pid_alive "$pid" || { log "engine $name: stopped"; return 0; }
    sleep 0.2
  done
  log "engine $name: still running after 30 s; sending SIGKILL"
  kill -KILL "$pid" 2>/dev/null || true
}

# Stop the engines concurrently: each may wait for its containers' stop timeout.
stop_engine a &
pid_a=$!
stop_engine b &
pid_b=$!
stop_engine c &
pid_c=$!
wait "$pid_a" "$pid_b" "$pid_c" || true

# The local image registry (pid file written by services.sh).
registry_pid=$(cat "$RUN_DIR/registry.pid" 2>/dev/null || true)
if [[ -n $registry_pid ]] && pid_alive "$registry_pid" && grep -qa docker-registry "/proc/$registry_pid/cmdline" 2>/dev/null; then
  log "registry: stopping (pid $registry_pid)"
  kill "$registry_pid" 2>/dev/null || true
fi
rm -f "$RUN_DIR/registry.pid"

if timeout 30 rabbitmq-diagnostics -q ping >/dev/null 2>&1; then
  log "rabbitmq: stopping"
  # With the pid file argument, rabbitmqctl also waits for the VM to exit.
  timeout 60 rabbitmqctl -q stop "/var/lib/rabbitmq/mnesia/rabbit@$(hostname -s).pid" >&2 ||
    log "rabbitmqctl stop failed"
else
  log "rabbitmq: not running"
fi
