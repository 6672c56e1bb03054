#!/bin/sh
# The official image's start-up, reduced to what a single KRaft node needs: KAFKA_FOO_BAR=v becomes
# foo.bar=v (as there: "__" stands for "_" and "___" for "-"), the storage is formatted with
# CLUSTER_ID when log.dirs holds none yet, then the broker replaces this shell so it gets SIGTERM.
set -eu
: "${CLUSTER_ID:?CLUSTER_ID is required (the KRaft cluster id the storage is formatted with)}"
conf=/opt/kafka/run/server.properties
: >"$conf"
env | while IFS='=' read -r name value; do
	case "$name" in
	KAFKA_HEAP_OPTS | KAFKA_OPTS | KAFKA_JVM_PERFORMANCE_OPTS | KAFKA_LOG4J_OPTS) ;;
	KAFKA_*)
		key="$(printf '%s' "${name#KAFKA_}" | tr 'A-Z' 'a-z' | sed 's/___/-/g; s/__/\x01/g; s/_/./g; s/\x01/_/g')"
		printf '%s=%s\n' "$key" "$value" >>"$conf"
		;;
	esac
done
log_dirs="$(sed -n 's/^log\.dirs=//p' "$conf")"
[ -n "$log_dirs" ] || { echo "run.sh: KAFKA_LOG_DIRS is required" >&2; exit 2; }
classpath='/opt/kafka/libs/*'
if [ ! -e "${log_dirs%%,*}/meta.properties" ]; then
	echo "run.sh: formatting $log_dirs for cluster $CLUSTER_ID" >&2
	java -Dlog4j.configuration=file:/opt/kafka/config/tools-log4j.properties -cp "$classpath" \
		kafka.tools.StorageTool format -t "$CLUSTER_ID" -c "$conf"
fi
# shellcheck disable=SC2086 # the options are word lists, as in kafka-run-class.sh
exec java ${KAFKA_HEAP_OPTS:--Xms256m -Xmx512m} ${KAFKA_JVM_PERFORMANCE_OPTS:--XX:+UseG1GC} ${KAFKA_OPTS:-} \
	-Djava.awt.headless=true -Dlog4j.configuration=file:/opt/kafka/config/log4j.properties \
	-cp "$classpath" kafka.Kafka "$conf"
