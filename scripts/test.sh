#!/usr/bin/env bash
# The project's test command. On a fresh Debian machine, as root, it installs and starts what the tests need (RabbitMQ
# and the 3-node cluster, the Docker engines, Podman, the test image: scripts/services.sh --cluster), installs and
# builds the project, type-checks and lints it, and runs every test, unit and integration, against the real services.
# Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

eval "$(bash scripts/services.sh --cluster)"
# The cluster tests skip where no cluster is set up; here one is, so they must run (and fail if it is missing).
export DD_REQUIRE_CLUSTER=1
# services.sh started Podman: its tests must run, never skip (test/support/services.ts podmanEngine).
export DD_REQUIRE_PODMAN=1
npm ci --no-audit --no-fund
npm run typecheck
npm run lint
mkdir -p test-artifacts
status=0
npx vitest run --reporter=default --reporter=json --outputFile.json=test-artifacts/vitest.json || status=$?
# A plain closing line any CI can read.
# shellcheck disable=SC2016 # JavaScript, not shell
node -e 'const r = require("./test-artifacts/vitest.json");
  console.log(`Tests: ${r.numPassedTests} passed, ${r.numFailedTests} failed, ${r.numPendingTests + r.numTodoTests} skipped`);' || true
exit "$status"
