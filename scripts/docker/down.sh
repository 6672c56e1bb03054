#!/usr/bin/env bash
# `npm run docker:down [-- --clean]`: stops the private dockerd that docker:images started (found by
# its pid file only: an engine someone else runs is never touched), and with it every container it
# runs; images, volumes and the build cache stay for the next run. --clean also deletes them.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
# shellcheck source=lib.sh
source "$HERE/lib.sh"

clean=false
case "${1:-}" in
	"") ;;
	--clean) clean=true ;;
	*) die "usage: down.sh [--clean]" ;;
esac

if private_dockerd_running; then
	pid="$(cat "$DOCKERD_PID")"
	# dockerd stops its containers (each with its stop timeout) before it exits.
	terminate dockerd "$pid" 60
	log "private engine stopped (pid $pid)"
else
	log "no private engine running (nothing of ours to stop)"
fi
if $clean && [ -d "$DOCKER_STATE" ]; then
	# Overlay mounts of a killed engine may still be there; unmount before deleting.
	grep -o " $DOCKER_STATE/[^ ]*" /proc/mounts | sort -r | xargs -r -n 1 umount -l 2>/dev/null || true
	rm -rf "$DOCKER_STATE"
	log "deleted $DOCKER_STATE (images, volumes, build cache)"
fi
