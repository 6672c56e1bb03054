#!/usr/bin/env bash
# `npm run docker:images`: every image docker-compose.yml needs, built on this machine for a
# machine that reaches package registries but no container registry (docker-compose.local.yml
# names them). Idempotent: the engine's images and build cache, and the downloads in
# ~/.cache/shop, are kept between runs, so a second run takes seconds.
#   1. a Docker engine: the one DOCKER_HOST or the system names, else a private dockerd (lib.sh);
#   2. a Debian bookworm base from debootstrap (the mirror apt is configured with), imported;
#   3. stand-ins for the public images: Node 22 (the official binary and npm from the npm
#      registry), a Java 17 runtime, NATS (Debian's nats-server), Kafka (the Maven Central jars
#      infra:up runs), mongo-java-server (infra:up's MongoDB-wire server), Zipkin (its server jar
#      from Maven Central), Prometheus, Alertmanager and HAProxy (Debian's);
#   4. the shop's image from the project's Dockerfile on that Node base (SHOP_IMAGE, shop:latest).
# Grafana has no build any registry here serves (not Debian, npm, PyPI, Maven Central or the Go
# module proxy with its web front end), so the override leaves it to machines with a registry.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
# shellcheck source=lib.sh
source "$HERE/lib.sh"

ZIPKIN_VERSION=3.6.1
NPM_MAJOR=10
SHOP_IMAGE="${SHOP_IMAGE:-shop:latest}"
# The CA bundle the host trusts: a TLS-inspecting proxy between the build and the npm registry is
# trusted through it. Given to the shop's build as a secret, so no layer keeps it.
CA_BUNDLE="${NODE_EXTRA_CA_CERTS:-${SSL_CERT_FILE:-/etc/ssl/certs/ca-certificates.crt}}"

use_docker
CONTEXTS="$DOCKER_STATE/contexts"
mkdir -p "$CONTEXTS"

# stage NAME: a fresh build context for images/NAME, to which the caller adds the downloads
# (hard links where the cache is on the same file system, so nothing large is copied).
stage() {
	local dir="$CONTEXTS/$1"
	rm -rf "$dir"
	cp -R "$HERE/images/$1" "$dir"
	echo "$dir"
}
link() { cp -RL --link "$1" "$2" 2>/dev/null || cp -RL "$1" "$2"; }

# build NAME TAG CONTEXT [ARGS...]: docker build, quiet unless it fails.
build() {
	local name="$1" tag="$2" context="$3" out
	shift 3
	log "$name: building $tag"
	out="$(mktemp)"
	if ! DOCKER_BUILDKIT=1 "$DOCKER" build --progress=plain --tag "$tag" "$@" "$context" >"$out" 2>&1; then
		tail -n 40 "$out" >&2
		rm -f "$out"
		die "$name: the build of $tag failed"
	fi
	rm -f "$out"
}

# debian_sources: deb822 sources for bookworm, its updates and security, from the mirrors the
# host's apt uses (one-line and deb822 formats); Debian's own mirrors when it names none.
debian_sources() {
	local uris mirror security
	uris="$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources 2>/dev/null |
		sed -n -e 's/^URIs:[[:space:]]*//p' -e 's/^deb[[:space:]]\+\(\[[^]]*\][[:space:]]\+\)\?\([^[:space:]]\+\).*/\2/p' |
		tr ' ' '\n' | grep -i debian || true)"
	mirror="$(grep -v -i security <<<"$uris" | head -n 1)"
	security="$(grep -i security <<<"$uris" | head -n 1)"
	cat <<SOURCES
Types: deb
URIs: ${mirror:-http://deb.debian.org/debian}
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: ${security:-http://deb.debian.org/debian-security}
Suites: bookworm-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SOURCES
}

DEBIAN_IMAGE="$LOCAL_IMAGES/debian:bookworm"
if image_exists "$DEBIAN_IMAGE"; then
	log "debian: $DEBIAN_IMAGE is there"
else
	command -v debootstrap >/dev/null || apt_install debootstrap
	root="$(mktemp -d "$DOCKER_STATE/rootfs.XXXXXX")"
	trap 'rm -rf "$root"' EXIT
	sources="$(debian_sources)"
	mirror="$(sed -n 's/^URIs: //p' <<<"$sources" | head -n 1)"
	log "debian: debootstrap --variant=minbase bookworm from $mirror (about 30 s)"
	debootstrap --variant=minbase bookworm "$root" "$mirror" >"$root.log" 2>&1 ||
		{ tail -n 30 "$root.log" >&2; die "debootstrap failed (log $root.log)"; }
	rm -f "$root.log" "$root/etc/apt/sources.list"
	echo "$sources" >"$root/etc/apt/sources.list.d/debian.sources"
	# As the official slim images: no recommended packages, no package lists kept.
	cat >"$root/etc/apt/apt.conf.d/90shop" <<'APT'
APT::Install-Recommends "false";
APT::Install-Suggests "false";
APT
	rm -rf "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/*.bin "$root"/var/cache/apt/archives/*.deb
	tar -C "$root" --numeric-owner -c . | "$DOCKER" import \
		--change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
		--change 'CMD ["bash"]' - "$DEBIAN_IMAGE" >/dev/null
	rm -rf "$root"
	trap - EXIT
	log "debian: imported as $DEBIAN_IMAGE"
fi
base=(--build-arg "BASE=$DEBIAN_IMAGE")

# Node 22: the binary use-node22.sh runs (node-linux-<arch> from the npm registry) and npm.
# shellcheck source=../use-node22.sh
source "$DOCKER_REPO/scripts/use-node22.sh"
node_pkg="$(node22_package)" || die "could not get Node 22's package from the npm registry"
npm_dir="$SHOP_CACHE/npm$NPM_MAJOR"
if [ ! -e "$npm_dir/package/package.json" ]; then
	log "node: fetching npm@$NPM_MAJOR from the npm registry"
	rm -rf "$npm_dir" "$npm_dir.tmp"
	mkdir -p "$npm_dir.tmp"
	(cd "$npm_dir.tmp" && npm pack --silent "npm@$NPM_MAJOR" >/dev/null && tar xzf npm-*.tgz && rm npm-*.tgz)
	mv "$npm_dir.tmp" "$npm_dir"
fi
NODE_IMAGE="$LOCAL_IMAGES/node:22-bookworm-slim"
ctx="$(stage node)"
link "$node_pkg/bin/node" "$ctx/node"
link "$npm_dir/package" "$ctx/npm"
build node "$NODE_IMAGE" "$ctx" "${base[@]}"

JAVA_IMAGE="$LOCAL_IMAGES/java:17"
build java "$JAVA_IMAGE" "$(stage java)" "${base[@]}"
java_base=(--build-arg "BASE=$JAVA_IMAGE")

build nats "$LOCAL_IMAGES/nats:debian" "$(stage nats)" "${base[@]}"

fetch_jars kafka "$KAFKA_POM" "$KAFKA_LIBS" "Kafka $KAFKA_VERSION"
ctx="$(stage kafka)"
link "$KAFKA_LIBS" "$ctx/libs"
build kafka "$LOCAL_IMAGES/kafka:$KAFKA_VERSION" "$ctx" "${java_base[@]}"

# The same launcher infra:up runs as a single-file program, compiled here: the image needs only a JRE.
fetch_jars mongo "$MONGO_POM" "$MONGO_LIBS" "mongo-java-server $MONGO_VERSION"
ctx="$(stage mongo)"
link "$MONGO_LIBS" "$ctx/libs"
need javac "compiling the MongoDB-wire server's launcher needs a JDK"
javac -nowarn --release 17 -cp "$MONGO_LIBS/*" -d "$ctx/launcher" "$INFRA_REPO/scripts/infra/mongo/MongoServer.java"
build mongo "$LOCAL_IMAGES/mongo-java-server:$MONGO_VERSION" "$ctx" "${java_base[@]}"

zipkin_jar="$SHOP_CACHE/zipkin-$ZIPKIN_VERSION/zipkin.jar"
if [ ! -s "$zipkin_jar" ]; then
	need mvn "fetching Zipkin's server jar needs Maven"
	log "zipkin: fetching zipkin-server $ZIPKIN_VERSION (exec jar, about 130 MB) from Maven Central"
	tmp="$(mktemp -d)"
	mvn -q -B dependency:copy -Dartifact="io.zipkin:zipkin-server:$ZIPKIN_VERSION:jar:exec" \
		-DoutputDirectory="$tmp" >"$tmp/mvn.log" 2>&1 || { cat "$tmp/mvn.log" >&2; die "zipkin: Maven could not fetch the jar"; }
	mkdir -p "$(dirname "$zipkin_jar")"
	mv "$tmp/zipkin-server-$ZIPKIN_VERSION-exec.jar" "$zipkin_jar"
	rm -rf "$tmp"
fi
ctx="$(stage zipkin)"
link "$zipkin_jar" "$ctx/zipkin.jar"
build zipkin "$LOCAL_IMAGES/zipkin:$ZIPKIN_VERSION" "$ctx" "${java_base[@]}"

build prometheus "$LOCAL_IMAGES/prometheus:debian" "$(stage prometheus)" "${base[@]}"
build alertmanager "$LOCAL_IMAGES/alertmanager:debian" "$(stage alertmanager)" "${base[@]}"
build haproxy "$LOCAL_IMAGES/haproxy:debian" "$(stage haproxy)" "${base[@]}"

[ -r "$CA_BUNDLE" ] || die "the CA bundle $CA_BUNDLE is not readable"
build shop "$SHOP_IMAGE" "$DOCKER_REPO" --build-arg "NODE_IMAGE=$NODE_IMAGE" --secret "id=ca,src=$CA_BUNDLE"
log "all images built (engine: ${DOCKER_HOST:-the default})"
