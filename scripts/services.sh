#!/usr/bin/env bash
# Bring up the real services the integration tests talk to, idempotently:
#
#   * Docker engine A  on unix:///run/docker-dispatch-test/engine-a.sock
#   * Docker engine B  on tcp://127.0.0.1:23751 (plus a unix socket we manage it by)
#   * Docker engine C  on tcp://127.0.0.1:23752 with --tlsverify (test CA in DOCKER_TLS_DIR)
#   * Podman           on unix:///run/docker-dispatch-test/podman.sock (its Docker-compatible API)
#   * the test image   docker-dispatch-test:busybox, imported into every engine
#   * RabbitMQ         on 127.0.0.1:5672 (guest/guest), amqps:// on 5671
#   * a registry       on 127.0.0.1:5000 (plain HTTP)
#   * only with --cluster (or DD_SERVICES_CLUSTER=1): a 3-node RabbitMQ cluster,
#     dd-cluster-{1,2,3}@<host> on 127.0.0.1:5681-5683 (scripts/test.sh asks for it)
#
# Usage (as root, Debian 12):   eval "$(scripts/services.sh)"
#                               eval "$(scripts/services.sh --cluster)"
#
# STDOUT carries nothing but the `export` lines for the caller to eval: AMQP_URL,
# AMQPS_URL, DOCKER_HOST_A, DOCKER_HOST_B, DOCKER_HOST_TLS, DOCKER_TLS_DIR,
# DOCKER_HOST_PODMAN, TEST_IMAGE, TEST_REGISTRY, and with the cluster
# AMQP_CLUSTER_URLS and RABBIT_CLUSTER_NODES (comma-separated, node 1 first).
# All progress and diagnostics go to STDERR. Safe to re-run: services that already
# answer are reused (a warm run takes a few seconds), and state left behind by
# processes that are gone (pid files, sockets, managed containerd files, a
# half-formed cluster) is cleaned up or repaired before starting afresh.
# Without --cluster a running cluster is left alone (and not exported).
#
# Each service has its own file in scripts/services/ (this one only orders them);
# tests kill and restart cluster nodes with scripts/services/cluster-node.sh.
# Stop everything with scripts/services-stop.sh.
set -euo pipefail

# Keep the real stdout on fd 3 for the final export lines and send everything
# else (our logging, apt, docker CLI chatter) to stderr, so nothing stray can
# end up in the caller's eval. See scripts/services/lib.sh on fds 3 and 9.
exec 3>&1 1>&2

services=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/services
# shellcheck source=scripts/services/lib.sh
source "$services/lib.sh"
# shellcheck source=scripts/services/packages.sh
source "$services/packages.sh"
# shellcheck source=scripts/services/tls.sh
source "$services/tls.sh"
# shellcheck source=scripts/services/rabbitmq.sh
source "$services/rabbitmq.sh"
# shellcheck source=scripts/services/engines.sh
source "$services/engines.sh"
# shellcheck source=scripts/services/podman.sh
source "$services/podman.sh"
# shellcheck source=scripts/services/registry.sh
source "$services/registry.sh"
# shellcheck source=scripts/services/cluster.sh
source "$services/cluster.sh"
# shellcheck source=scripts/services/cluster-up.sh
source "$services/cluster-up.sh"

cluster=false
[[ ${DD_SERVICES_CLUSTER:-} != 1 ]] || cluster=true
for arg in "$@"; do
  case $arg in
    --cluster) cluster=true ;;
    -h | --help)
      sed -n '2,29p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2
      exit 0
      ;;
    *) die "unknown argument: $arg (usage: scripts/services.sh [--cluster])" ;;
  esac
done

require_root "it starts dockerd, Podman and RabbitMQ"
ensure_packages
pick_docker_cli
ensure_base_dirs

# Serialise concurrent runs (e.g. two CI jobs on one machine): both would
# otherwise try to start the same engines. fd 9 must not leak into daemons.
exec 9>"$RUN_DIR/services.lock"
flock -w 600 9 || die "timed out waiting for another services.sh run ($RUN_DIR/services.lock)"

TMP_DIR=""
trap '[[ -z $TMP_DIR ]] || rm -rf "$TMP_DIR"' EXIT

ensure_tls
ensure_rabbit_conf
restart_rabbitmq_if_config_changed
# The brokers are the slowest to boot: kick them off first, wait for them last.
ensure_erlang_cookie
start_rabbitmq_if_needed
[[ $cluster == false ]] || cluster_start_if_needed
start_registry_if_needed

podman_up &
podman_job=$!
engines_up
wait "$podman_job" || die "could not bring up Podman (see above)"

engines_ready
podman_ready
wait_for_rabbitmq
[[ $cluster == false ]] || cluster_ready

# The only output on stdout.
cat >&3 <<EOF_EXPORTS
export AMQP_URL=$AMQP_URL
export DOCKER_HOST_A=unix://$(engine_sock a)
export DOCKER_HOST_B=$ENGINE_B_TCP
export TEST_IMAGE=$TEST_IMAGE
export DOCKER_HOST_TLS=https://127.0.0.1:23752
export DOCKER_TLS_DIR=$TLS_DIR
export AMQPS_URL=$AMQPS_URL
export TEST_REGISTRY=$REGISTRY_ADDR
export DOCKER_HOST_PODMAN=$PODMAN_HOST
EOF_EXPORTS
if [[ $cluster == true ]]; then
  cat >&3 <<EOF_EXPORTS
export AMQP_CLUSTER_URLS=$(cluster_amqp_urls)
export RABBIT_CLUSTER_NODES=$(cluster_node_names)
EOF_EXPORTS
fi
