#!/usr/bin/env bash
# `npm run infra:down [-- --clean] [-- nats|kafka|mongo ...]`: stops the servers that infra:up started (found by their pid
# files only, so a NATS or MongoDB someone else runs is never touched) and keeps their data;
# --clean also deletes INFRA_DIR.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
# shellcheck source=lib.sh
source "$HERE/lib.sh"

clean=false
servers=()
for arg in "$@"; do
	case "$arg" in
		--clean) clean=true ;;
		-*) die "usage: down.sh [--clean] [${ALL_SERVERS[*]}]..." ;;
		*) servers+=("$arg") ;;
	esac
done
select_servers down.sh "${servers[@]}"
if $clean && [ "${#servers[@]}" -gt 0 ]; then
	die "--clean removes the data of every server; it cannot be combined with server names"
fi

if [ ! -d "$INFRA_DIR" ]; then
	log "nothing to stop ($INFRA_DIR does not exist)"
	exit 0
fi
# Refuse before stopping anything: a directory without our marker was not made by up.sh.
if [ ! -e "$INFRA_DIR/$INFRA_MARKER" ]; then
	die "$INFRA_DIR was not created by infra:up (no $INFRA_MARKER); not touching it"
fi

lock_infra
# Reverse start order; each gets 20 s to exit cleanly before SIGKILL.
for name in mongo kafka nats; do
	selected "$name" && stop_daemon "$name"
done
# The environment file says the whole set is up; one server stopped for a while keeps it.
[ "${#servers[@]}" -gt 0 ] || rm -f "$INFRA_DIR/env"

if $clean; then
	rm -rf "$INFRA_DIR"
	log "removed $INFRA_DIR"
fi
