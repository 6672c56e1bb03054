# Shared by images.sh, down.sh and test.sh (sourced, not run): which Docker engine the shop's
# scripts talk to, and a private one started when none is reachable.
# shellcheck shell=bash disable=SC2034 # the settings below are used by the scripts that source this
# shellcheck source=../infra/lib.sh
source "$(cd "$(dirname "${BASH_SOURCE[0]}")/../infra" && pwd)/lib.sh"
log() { echo "docker: $*" >&2; }
die() { log "ERROR: $*"; exit 1; }

DOCKER_REPO="$INFRA_REPO"
# The private engine's socket, data root, exec root, pid file and log: outside the work tree, so
# images and their build cache outlive a clone and a CI run's checkout.
DOCKER_STATE="${SHOP_DOCKER_DIR:-$SHOP_CACHE/docker}"
PRIVATE_DOCKER_HOST="unix://$DOCKER_STATE/docker.sock"
DOCKERD_PID="$DOCKER_STATE/dockerd.pid"
DOCKERD_LOG="$DOCKER_STATE/dockerd.log"
# The names the local stand-ins for public images are built under (docker-compose.local.yml).
LOCAL_IMAGES=shop-local

# Debian's client is the engine's own version and has BuildKit built in; a newer client elsewhere
# on PATH (e.g. a static docker 28) wants a buildx plugin that is not there.
if [ -x /usr/bin/docker ]; then DOCKER=/usr/bin/docker; else DOCKER=docker; fi

docker_answers() { "$DOCKER" version --format '{{.Server.Version}}' >/dev/null 2>&1; }

# private_dockerd_running: the pid file names a live dockerd of ours (never a reused pid).
private_dockerd_running() { pid_file_names "$DOCKERD_PID" "dockerd --host $PRIVATE_DOCKER_HOST"; }

# install_docker: Debian's docker-compose (the tests' and the README's), and Debian's engine and
# client when there is no client at all or an engine must be started here.
install_docker() {
	local missing=()
	command -v docker-compose >/dev/null || missing+=(docker-compose)
	if ! command -v docker >/dev/null || { [ "${1:-}" = engine ] && ! command -v dockerd >/dev/null; }; then
		missing+=(docker.io)
	fi
	[ "${#missing[@]}" -eq 0 ] || apt_install "${missing[@]}"
	if [ -x /usr/bin/docker ]; then DOCKER=/usr/bin/docker; fi
}

# use_docker: exports DOCKER_HOST for an engine that answers. An explicit DOCKER_HOST must answer;
# otherwise the system's engine is used when it answers, and else a private dockerd is started
# (its own socket, data root, exec root and pid file under DOCKER_STATE).
use_docker() {
	install_docker
	if [ -n "${DOCKER_HOST:-}" ]; then
		docker_answers || die "DOCKER_HOST=$DOCKER_HOST does not answer"
		log "engine at DOCKER_HOST=$DOCKER_HOST"
		return 0
	fi
	if docker_answers; then
		log "the system's engine answers; using it"
		return 0
	fi
	export DOCKER_HOST="$PRIVATE_DOCKER_HOST"
	if private_dockerd_running && docker_answers; then
		log "private engine already running (pid $(cat "$DOCKERD_PID"), $DOCKER_HOST)"
		return 0
	fi
	[ "$(id -u)" = 0 ] || die "no Docker engine answers, and starting one (dockerd) needs root"
	install_docker engine
	# Where installing the package started the system's engine, that one is used: two engines
	# would fight over the default bridge.
	if DOCKER_HOST="" docker_answers; then
		unset DOCKER_HOST
		log "the system's engine answers (started by its package); using it"
		return 0
	fi
	mkdir -p "$DOCKER_STATE"
	# A dockerd killed without its clean-up leaves its pid file, which makes the next one refuse.
	private_dockerd_running || rm -f "$DOCKERD_PID"
	echo "--- $(date -u +%FT%TZ) starting dockerd" >>"$DOCKERD_LOG"
	setsid dockerd --host "$PRIVATE_DOCKER_HOST" --data-root "$DOCKER_STATE/data" \
		--exec-root "$DOCKER_STATE/exec" --pidfile "$DOCKERD_PID" >>"$DOCKERD_LOG" 2>&1 </dev/null 9>&- &
	local deadline=$((SECONDS + 60))
	until docker_answers; do
		if ! kill -0 "$!" 2>/dev/null; then
			tail -n 20 "$DOCKERD_LOG" >&2
			die "dockerd exited at start (log: $DOCKERD_LOG)"
		fi
		((SECONDS < deadline)) || { tail -n 20 "$DOCKERD_LOG" >&2; die "dockerd did not answer within 60 s"; }
		sleep 0.5
	done
	log "private engine started (pid $(cat "$DOCKERD_PID"), $DOCKER_HOST, log $DOCKERD_LOG)"
}

# image_exists NAME: the engine has NAME.
image_exists() { "$DOCKER" image inspect "$1" >/dev/null 2>&1; }
