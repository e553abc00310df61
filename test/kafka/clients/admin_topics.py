"""Creates and describes topics through kafka-python's admin client (CreateTopics, DescribeConfigs).

Usage: admin_topics.py BOOTSTRAP TOPIC
Prints one JSON object: what creating TOPIC (3 partitions, retention.ms=3600000), creating it
again, creating one with an unsupported config, one with 3 replicas, one with 0 replicas, one with
more partitions than a topic may have, one with its replicas assigned to a broker that does not
exist and one named twice in a request answered, what validating (validate_only) a new topic and
TOPIC again answered, and the configs DescribeConfigs shows, of TOPIC (all of them, and
retention.ms alone when only it is asked for) and of events_in (with their sources).
"""
import json
import sys

from kafka import KafkaAdminClient
from kafka.admin import ConfigResource, ConfigResourceType, NewTopic

bootstrap, topic = sys.argv[1:3]
admin = KafkaAdminClient(bootstrap_servers=bootstrap, client_id="admin-topics")


def create(new_topic, validate_only=False):
    try:
        response = admin.create_topics([new_topic], validate_only=validate_only)
        return [[name, code] for name, code, *_ in response.topic_errors]
    except Exception as e:  # kafka-python raises on a topic error, with the response in its text
        return f"{type(e).__name__}: {e}"


out = {
    "created": create(NewTopic(topic, 3, 1, topic_configs={"retention.ms": "3600000"})),
    "again": create(NewTopic(topic, 3, 1)),
    "bad_config": create(NewTopic(topic + "_bad", 1, 1, topic_configs={"min.insync.replicas": "2"})),
    "replicated": create(NewTopic(topic + "_replicated", 1, 3)),
    "no_replicas": create(NewTopic(topic + "_no_replicas", 1, 0)),
    "too_wide": create(NewTopic(topic + "_too_wide", 10001, 1)),
    "elsewhere": create(NewTopic(topic + "_elsewhere", -1, -1, replica_assignments={0: [0], 1: [5]})),
    "validated": create(NewTopic(topic + "_validated", 2, 1), validate_only=True),
    "validated_again": create(NewTopic(topic, 3, 1), validate_only=True),
}
try:
    response = admin.create_topics([NewTopic(topic + "_twice", 1, 1), NewTopic(topic + "_twice", 2, 1)])
    out["twice"] = [[name, code] for name, code, *_ in response.topic_errors]
except Exception as e:
    out["twice"] = f"{type(e).__name__}: {e}"
described = admin.describe_configs([ConfigResource(ConfigResourceType.TOPIC, topic)])
out["configs"] = {name: value for name, value, *_ in described[0].resources[0][4]}
described = admin.describe_configs([ConfigResource(ConfigResourceType.TOPIC, topic, configs={"retention.ms": None})])
out["asked_configs"] = {name: value for name, value, *_ in described[0].resources[0][4]}
# A topic with no settings of its own (events_in): each config's value and source.
described = admin.describe_configs([ConfigResource(ConfigResourceType.TOPIC, "events_in")])
out["default_configs"] = {name: [value, source] for name, value, _read_only, source, *_ in described[0].resources[0][4]}
admin.close()
print(json.dumps(out))
