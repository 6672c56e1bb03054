#!/bin/sh
# As in the Kafka distribution: what compose's health check asks (is the broker answering?).
exec java -Xmx128m -XX:TieredStopAtLevel=1 -Dlog4j.configuration=file:/opt/kafka/config/tools-log4j.properties \
	-cp '/opt/kafka/libs/*' kafka.admin.BrokerApiVersionsCommand "$@"
