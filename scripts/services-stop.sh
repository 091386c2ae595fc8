#!/usr/bin/env bash
# Stop what scripts/services.sh started: the test Docker engines (SIGTERM via
# their pid files, 30 s for their containers, SIGKILL as a last resort), the
# Podman service and its running containers, the registry, RabbitMQ and the
# cluster nodes, if running. Data roots, the imported test images and the
# cluster's membership are kept, so the next services.sh run reuses them.
# For local use; run as root.
set -euo pipefail

services=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/services
SERVICES_LOG_PREFIX='services-stop'
# shellcheck source=scripts/services/lib.sh
source "$services/lib.sh"
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

require_root "it stops dockerd, Podman and RabbitMQ"

# The engines and the cluster nodes stop concurrently (each may take seconds).
stop_engines &
engines_job=$!
stop_cluster &
cluster_job=$!
stop_podman
stop_registry
stop_rabbitmq
wait "$engines_job" "$cluster_job" || true
