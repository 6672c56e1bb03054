#!/usr/bin/env bash
# `npm run test:compose`: the images (docker:images, cached), then test/compose/ against the
# docker-compose.yml stack they make, on the engine docker:images found or started.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
# shellcheck source=lib.sh
source "$HERE/lib.sh"
use_docker
bash "$HERE/images.sh"
# shellcheck source=../use-node22.sh
source "$DOCKER_REPO/scripts/use-node22.sh"
cd "$DOCKER_REPO"
# The tests drive the stack with the same client the images were built with.
# Arguments (a test file, -t) go before --selectProjects, which would take a file for a project name.
DOCKER_CLI="$DOCKER" exec npx jest "$@" --selectProjects compose
