"""Reads every record of the given topics with Confluent's Python client (a Kafka client apart from
Tributary's), one JSON object a line: topic, partition, offset, timestamp, key (hex), value and
headers (base64). Used by the tests to check what the gateway wrote to Kafka.

usage: read-topics.py BOOTSTRAP TOPIC...
"""
import base64
import json
import sys

from confluent_kafka import Consumer, TopicPartition

bootstrap, topics = sys.argv[1], sys.argv[2:]
consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": "read-topics", "enable.auto.commit": False, "enable.partition.eof": True})
metadata = consumer.list_topics(timeout=10)
assignment = []
for topic in topics:
    for partition in metadata.topics[topic].partitions:
        low, high = consumer.get_watermark_offsets(TopicPartition(topic, partition), timeout=10)
        if high > low:
            assignment.append(TopicPartition(topic, partition, low))
consumer.assign(assignment)
remaining = len(assignment)
while remaining > 0:
    message = consumer.poll(10)
    if message is None:
        sys.exit("no record within 10 s")
    if message.error():
        if message.error().code() == -191:  # end of partition
            remaining -= 1
            continue
        sys.exit(str(message.error()))
    print(json.dumps({
        "topic": message.topic(),
        "partition": message.partition(),
        "offset": message.offset(),
        "timestamp": message.timestamp()[1],
        "key": message.key().decode() if message.key() is not None else None,
        "value": base64.b64encode(message.value()).decode(),
        "headers": [[k, base64.b64encode(v).decode()] for k, v in (message.headers() or [])],
    }))
consumer.close()
