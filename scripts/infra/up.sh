#!/usr/bin/env bash
# `npm run infra:up [-- nats|kafka|mongo ...]`: NATS, a single-node KRaft Kafka and mongo-java-server (MongoDB wire
# protocol, data in an H2 file) as local processes on 127.0.0.1, for machines without Docker. Idempotent: a server whose
# pid file names a live process is left alone. State lives in INFRA_DIR (default .infra/);
# downloads are cached in ~/.cache/shop so later runs start in seconds.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
# shellcheck source=lib.sh
source "$HERE/lib.sh"

MONGO_URI="mongodb://127.0.0.1:$MONGO_PORT"

select_servers up.sh "$@"
lock_infra
touch "$INFRA_DIR/$INFRA_MARKER"
need node "the MongoDB readiness check needs Node (see scripts/use-node22.sh)"

if selected nats; then
command -v nats-server >/dev/null || apt_install nats-server
command -v curl >/dev/null || apt_install curl

if is_running nats; then
	log "nats: already running (pid $(running_pid nats))"
else
	require_free_port nats NATS_PORT
	require_free_port nats NATS_MONITOR_PORT
	# Our own process, not the Debian package's systemd unit: it must run without systemd (CI
	# containers) and be stoppable by infra:down.
	start_daemon nats nats-server -a 127.0.0.1 -p "$NATS_PORT" -m "$NATS_MONITOR_PORT"
fi
wait_for nats 60 curl -fsS --max-time 2 "http://127.0.0.1:$NATS_MONITOR_PORT/healthz"
log "nats: ready on 127.0.0.1:$NATS_PORT"
fi

if selected kafka; then
need java "Kafka needs Java 17"
KAFKA_CONF="$INFRA_DIR/kafka"
mkdir -p "$KAFKA_CONF/data"

fetch_jars kafka "$KAFKA_POM" "$KAFKA_LIBS" "Kafka $KAFKA_VERSION"

# Tools log warnings to stderr only, so their stdout (the cluster id, the topic list) stays clean.
cat >"$KAFKA_CONF/tools-log4j.properties" <<'EOF'
log4j.rootLogger=WARN, stderr
log4j.appender.stderr=org.apache.log4j.ConsoleAppender
log4j.appender.stderr.Target=System.err
log4j.appender.stderr.layout=org.apache.log4j.PatternLayout
log4j.appender.stderr.layout.ConversionPattern=[%d] %p %m (%c)%n
EOF
# The broker logs to stdout, which start_daemon appends to kafka.log; the per-request and
# state-change loggers only repeat what INFO already says.
cat >"$KAFKA_CONF/log4j.properties" <<'EOF'
log4j.rootLogger=INFO, stdout
log4j.appender.stdout=org.apache.log4j.ConsoleAppender
log4j.appender.stdout.layout=org.apache.log4j.PatternLayout
log4j.appender.stdout.layout.ConversionPattern=[%d] %p %m (%c)%n
log4j.logger.kafka.request.logger=WARN
log4j.logger.state.change.logger=WARN
log4j.logger.org.apache.kafka.clients=WARN
EOF
# Short admin timeouts: each readiness probe fails fast instead of retrying for a minute.
cat >"$KAFKA_CONF/admin.properties" <<'EOF'
request.timeout.ms=5000
default.api.timeout.ms=10000
EOF
# Rewritten on every start so the ports follow the environment; the data stays in data/.
cat >"$KAFKA_CONF/server.properties" <<EOF
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$KAFKA_CONTROLLER_PORT
listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT,CONTROLLER://127.0.0.1:$KAFKA_CONTROLLER_PORT
advertised.listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
log.dirs=$KAFKA_CONF/data
num.partitions=3
offsets.topic.replication.factor=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
group.initial.rebalance.delay.ms=0
auto.create.topics.enable=false
EOF

# kafka_tool CLASS ARGS...: a Kafka command-line tool, bounded so a wedged JVM cannot hang us.
kafka_tool() {
	timeout 60 java -Dlog4j.configuration="file:$KAFKA_CONF/tools-log4j.properties" \
		-cp "$KAFKA_LIBS/*" "$@"
}
list_topics() {
	kafka_tool org.apache.kafka.tools.TopicCommand --bootstrap-server "127.0.0.1:$KAFKA_PORT" \
		--command-config "$KAFKA_CONF/admin.properties" --list
}
kafka_ready() { port_in_use "$KAFKA_PORT" && list_topics >/dev/null; }

if is_running kafka; then
	log "kafka: already running (pid $(running_pid kafka))"
else
	require_free_port kafka KAFKA_PORT
	require_free_port kafka KAFKA_CONTROLLER_PORT
	# KRaft storage is formatted once, with a cluster id generated once: reformatting would orphan
	# the data of earlier runs.
	if [ ! -s "$KAFKA_CONF/cluster-id" ]; then
		kafka_tool kafka.tools.StorageTool random-uuid >"$KAFKA_CONF/cluster-id.tmp"
		mv "$KAFKA_CONF/cluster-id.tmp" "$KAFKA_CONF/cluster-id"
	fi
	if [ ! -e "$KAFKA_CONF/data/meta.properties" ]; then
		log "kafka: formatting storage in $KAFKA_CONF/data"
		kafka_tool kafka.tools.StorageTool format -t "$(cat "$KAFKA_CONF/cluster-id")" \
			-c "$KAFKA_CONF/server.properties" >&2
	fi
	start_daemon kafka java -Xms256m -Xmx512m -Djava.awt.headless=true \
		-Dlog4j.configuration="file:$KAFKA_CONF/log4j.properties" \
		-cp "$KAFKA_LIBS/*" kafka.Kafka "$KAFKA_CONF/server.properties"
fi
wait_for kafka 120 kafka_ready

# No topics here: each node creates the shop's missing topics itself (mixins/events/kafka-bus.ts),
# as it must against a fresh compose stack or a managed cluster.
log "kafka: ready on 127.0.0.1:$KAFKA_PORT"
fi

if selected mongo; then
need java "mongo-java-server needs Java 11 or later"
fetch_jars mongo "$MONGO_POM" "$MONGO_LIBS" "mongo-java-server $MONGO_VERSION"

if is_running mongo; then
	log "mongo: already running (pid $(running_pid mongo))"
else
	require_free_port mongo MONGO_PORT
	mkdir -p "$INFRA_DIR/mongo"
	# The launcher is a single-file program that java compiles as it starts (a second or two): no
	# build step and nothing to keep in step with the jars. A small heap: the shop's test data is small.
	start_daemon mongo java -Xms64m -Xmx512m -Djava.awt.headless=true \
		-cp "$MONGO_LIBS/*" "$HERE/mongo/MongoServer.java" "$MONGO_PORT" "$INFRA_DIR/mongo/shop.mv.db"
fi
wait_for mongo 90 node "$HERE/wait-mongo.js" "$MONGO_URI" 3
log "mongo: ready on 127.0.0.1:$MONGO_PORT"
fi

# Environment for the shop
NATS_URL="nats://127.0.0.1:$NATS_PORT"
KAFKA_BROKERS="127.0.0.1:$KAFKA_PORT"
cat >"$INFRA_DIR/env" <<EOF
export NATS_URL=$NATS_URL
export KAFKA_BROKERS=$KAFKA_BROKERS
export MONGO_URI=$MONGO_URI
EOF
log "all up; environment (also in $INFRA_DIR/env, for 'source'):"
echo "NATS_URL=$NATS_URL KAFKA_BROKERS=$KAFKA_BROKERS MONGO_URI=$MONGO_URI"
