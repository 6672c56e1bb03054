# Shared by up.sh, down.sh and ../check-deploy.sh (sourced, not run): settings, the pid-file daemon helpers, apt_install.
# shellcheck shell=bash disable=SC2034 # the settings below are used by up.sh and down.sh

INFRA_REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
INFRA_DIR="${INFRA_DIR:-$INFRA_REPO/.infra}"
# Kafka's log.dirs and the MongoDB server's data file must not depend on the current directory.
case "$INFRA_DIR" in /*) ;; *) INFRA_DIR="$PWD/$INFRA_DIR" ;; esac
SHOP_CACHE="${XDG_CACHE_HOME:-$HOME/.cache}/shop"

NATS_PORT="${NATS_PORT:-4222}"
NATS_MONITOR_PORT="${NATS_MONITOR_PORT:-8222}"
KAFKA_PORT="${KAFKA_PORT:-9092}"
KAFKA_CONTROLLER_PORT="${KAFKA_CONTROLLER_PORT:-9093}"
MONGO_PORT="${MONGO_PORT:-27017}"

# The servers' jars, fetched from Maven Central by fetch_jars (the versions are the poms'), for
# infra:up and for the compose stand-ins docker:images builds (../docker/images.sh).
KAFKA_VERSION=3.9.1
MONGO_VERSION=1.47.0
KAFKA_LIBS="$SHOP_CACHE/kafka-$KAFKA_VERSION/libs"
MONGO_LIBS="$SHOP_CACHE/mongo-java-server-$MONGO_VERSION/libs"
KAFKA_POM="$INFRA_REPO/scripts/infra/kafka/pom.xml"
MONGO_POM="$INFRA_REPO/scripts/infra/mongo/pom.xml"

# Text each daemon's command line contains: a pid that the kernel has since given to another
# process is then never mistaken for ours (and never killed).
declare -A DAEMON_MATCH=([nats]=nats-server [kafka]=kafka.Kafka [mongo]=MongoServer.java)

# Marks a directory as ours, so that `down --clean` never deletes a mistyped INFRA_DIR.
INFRA_MARKER=".shop-infra"

ALL_SERVERS=(nats kafka mongo)

log() { echo "infra: $*" >&2; }
die() { log "ERROR: $*"; exit 1; }

pid_file() { echo "$INFRA_DIR/$1.pid"; }
log_file() { echo "$INFRA_DIR/$1.log"; }

# Serialises concurrent up/down runs on the same INFRA_DIR (fd 9; start_daemon keeps it from the
# daemons, which would otherwise hold the lock for as long as they run).
lock_infra() {
	mkdir -p "$INFRA_DIR"
	exec 9>"$INFRA_DIR/.lock"
	if ! flock -n 9; then
		log "waiting for another infra:up/down on $INFRA_DIR"
		flock -w 600 9 || die "another infra:up/down still holds $INFRA_DIR/.lock"
	fi
}

# pid_file_names PID_FILE TEXT: true when PID_FILE names a live process whose command line
# contains TEXT, so a pid the kernel has since given to another process is never taken for ours.
pid_file_names() {
	local pid cmdline
	pid="$(cat "$1" 2>/dev/null)" || return 1
	[[ "$pid" =~ ^[0-9]+$ ]] || return 1
	# Read first, then match: with pipefail, `grep -q` leaving a pipe early can fail the writer with SIGPIPE.
	cmdline="$(tr '\0' ' ' 2>/dev/null <"/proc/$pid/cmdline")" || return 1
	grep -qF -- "$2" <<<"$cmdline"
}

# is_running NAME: true when NAME's pid file names a live process that is still NAME.
is_running() { pid_file_names "$(pid_file "$1")" "${DAEMON_MATCH[$1]}"; }

running_pid() { cat "$(pid_file "$1")"; }

# alive PID: the process exists and is not a zombie (in containers whose PID 1 never reaps, a dead
# daemon stays a zombie and kill -0 would keep succeeding).
alive() { [ -r "/proc/$1/status" ] && ! grep -q '^State:[[:space:]]*Z' "/proc/$1/status" 2>/dev/null; }

# port_in_use PORT: something accepts connections on 127.0.0.1:PORT (bash's /dev/tcp, since
# neither ss nor nc is on a minimal Debian).
port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# require_free_port NAME PORT_VAR: fail clearly instead of letting NAME die with "address in use",
# or worse, waiting on a foreign server that happens to answer.
require_free_port() {
	local port="${!2}" who="" hint="stop it"
	port_in_use "$port" || return 0
	command -v ss >/dev/null && who="$(ss -Hltnp "sport = :$port" 2>/dev/null | grep -o 'users:.*' | head -n 1)"
	[ "$1" != nats ] || hint="stop it (if it is the Debian package's own service: systemctl stop nats-server)"
	die "$1: port $port on 127.0.0.1 is already taken by a process infra:up did not start${who:+ ($who)};" \
		"$hint or set $2 to another port."
}

# start_daemon NAME CMD...: run CMD detached (own session, so Ctrl-C or a closing terminal does
# not reach it) with output appended to NAME's log, and record its pid.
start_daemon() {
	local name="$1"
	shift
	local logf
	logf="$(log_file "$name")"
	echo "--- $(date -u +%FT%TZ) starting: $*" >>"$logf"
	# Without job control a background child is not a process-group leader, so setsid execs in
	# place and $! is the daemon's own pid.
	setsid "$@" >>"$logf" 2>&1 </dev/null 9>&- &
	local pid=$! waited=0
	echo "$pid" >"$(pid_file "$name")"
	# Until the child has exec'd, its command line is this shell's, and is_running would call the
	# daemon gone (CI once stopped here with "exited before it was ready" on a NATS that was up a
	# moment later). Wait, at most 5 s, until the pid is the daemon's or has really exited.
	while ! is_running "$name" && alive "$pid" && ((waited < 100)); do
		sleep 0.05
		waited=$((waited + 1))
	done
	log "$name: started (pid $pid, log $logf)"
}

# wait_for NAME TIMEOUT_S CHECK...: poll CHECK every second until it succeeds. Fails early if the
# daemon exits, and on failure shows the end of its log.
wait_for() {
	local name="$1" timeout="$2" out="" deadline
	shift 2
	deadline=$((SECONDS + timeout))
	until out="$("$@" 2>&1)"; do
		if ! is_running "$name"; then
			log "$name: exited before it was ready; last 30 lines of $(log_file "$name"):"
			tail -n 30 "$(log_file "$name")" >&2 || true
			exit 1
		fi
		if ((SECONDS >= deadline)); then
			log "$name: not ready after ${timeout}s (last check: ${out:-no output}); last 30 lines of $(log_file "$name"):"
			tail -n 30 "$(log_file "$name")" >&2 || true
			exit 1
		fi
		sleep 1
	done
}

# stop_daemon NAME [GRACE_S]: SIGTERM, then SIGKILL after GRACE_S; only ever the pid we recorded.
stop_daemon() {
	local name="$1" grace="${2:-20}" pidf pid
	pidf="$(pid_file "$name")"
	[ -e "$pidf" ] || return 0
	if ! is_running "$name"; then
		log "$name: not running (stale pid file removed)"
		rm -f "$pidf"
		return 0
	fi
	pid="$(running_pid "$name")"
	terminate "$name" "$pid" "$grace"
	rm -f "$pidf"
	log "$name: stopped (pid $pid)"
}

# terminate NAME PID GRACE_S: SIGTERM, then SIGKILL after GRACE_S; returns once PID is gone.
terminate() {
	local name="$1" pid="$2" grace="$3" deadline
	kill -TERM "$pid" 2>/dev/null || true
	deadline=$((SECONDS + grace))
	while alive "$pid" && ((SECONDS < deadline)); do sleep 0.5; done
	if alive "$pid"; then
		log "$name: still running after ${grace}s, sending SIGKILL"
		kill -KILL "$pid" 2>/dev/null || true
		while alive "$pid"; do sleep 0.2; done
	fi
}

# select_servers SCRIPT ARGS...: sets SELECTED to the servers named (all when none), e.g. so a
# test can stop and restart Kafka alone.
select_servers() {
	local script="$1" arg
	shift
	SELECTED=()
	for arg in "$@"; do
		[[ -v "DAEMON_MATCH[$arg]" ]] || die "usage: $script [${ALL_SERVERS[*]}]... (unknown server '$arg')"
		SELECTED+=("$arg")
	done
	[ "${#SELECTED[@]}" -gt 0 ] || SELECTED=("${ALL_SERVERS[@]}")
}
selected() { [[ " ${SELECTED[*]} " == *" $1 "* ]]; }

need() { command -v "$1" >/dev/null || die "'$1' is not on PATH; $2"; }

# fetch_jars NAME POM LIBS WHAT: the jars POM depends on, copied from Maven Central into LIBS. The
# libs dir counts only with the stamp of the pom it was fetched for, so a pom change (or an
# interrupted fetch, which never gets as far as the rename) fetches again.
fetch_jars() {
	local name="$1" pom="$2" libs="$3" what="$4" pom_sum tmp_libs mvn_log
	pom_sum="$(sha256sum "$pom" | cut -d' ' -f1)"
	[ "$(cat "$libs/.pom.sha256" 2>/dev/null)" != "$pom_sum" ] || return 0
	need mvn "fetching $what needs Maven"
	log "$name: fetching $what jars from Maven Central into $libs"
	tmp_libs="$libs.tmp.$$"
	mvn_log="$(mktemp)"
	rm -rf "$tmp_libs"
	# -q still prints colour resets on success; keep the output only to show it on failure.
	if ! mvn -q -B -f "$pom" dependency:copy-dependencies -DoutputDirectory="$tmp_libs" >"$mvn_log" 2>&1; then
		cat "$mvn_log" >&2
		rm -rf "$tmp_libs" "$mvn_log"
		die "$name: Maven could not fetch the $what jars"
	fi
	rm -f "$mvn_log"
	echo "$pom_sum" >"$tmp_libs/.pom.sha256"
	rm -rf "$libs"
	mv "$tmp_libs" "$libs"
}

# apt_install PKG...: "apt-get update" only on failure, since it is slow and usually not needed.
apt_install() {
	local sudo=()
	[ "$(id -u)" = 0 ] || sudo=(sudo)
	export DEBIAN_FRONTEND=noninteractive
	log "installing $* with apt-get"
	"${sudo[@]}" apt-get install -y -q "$@" >&2 ||
		{ "${sudo[@]}" apt-get update -q >&2 && "${sudo[@]}" apt-get install -y -q "$@" >&2; }
}
