#!/bin/sh
# As in the Kafka distribution, for an operator inside the container.
exec java -Xmx256m -Dlog4j.configuration=file:/opt/kafka/config/tools-log4j.properties \
	-cp '/opt/kafka/libs/*' org.apache.kafka.tools.TopicCommand "$@"
