"""Creates two topics over CreateTopics, fills each past a few small segments and describes them.

Usage: retention_topics.py BOOTSTRAP
With librdkafka's admin client (python3-confluent-kafka): `kept` asks for unlimited retention
(retention.ms=-1, Kafka's "keep forever"), `inherits` sets no retention of its own; both have
1 KiB segments. Writes 12 records of 300 bytes to each (acks=all, a batch each), then prints one JSON object:
{ topic: { config: [value, source] } } as DescribeConfigs shows them.
"""
import json
import sys

from confluent_kafka import Producer
from confluent_kafka.admin import AdminClient, ConfigResource, NewTopic

bootstrap = sys.argv[1]
admin = AdminClient({"bootstrap.servers": bootstrap})
topics = {
    "kept": {"retention.ms": "-1", "segment.bytes": "1024"},
    "inherits": {"segment.bytes": "1024"},
}
for future in admin.create_topics([NewTopic(name, 1, 1, config=configs) for name, configs in topics.items()]).values():
    future.result()

producer = Producer({"bootstrap.servers": bootstrap, "acks": "all"})
for name in topics:
    for i in range(12):
        producer.produce(name, value=b"x" * 300, key=b"%d" % i)
        # One batch each, so that they fill several segments.
        if producer.flush(30) != 0:
            sys.exit("a record was not acknowledged")

out = {}
for resource, future in admin.describe_configs([ConfigResource("topic", name) for name in topics]).items():
    out[resource.name] = {name: [entry.value, int(entry.source)] for name, entry in future.result().items()}
print(json.dumps(out))
