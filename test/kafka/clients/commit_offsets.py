"""Commits offsets Kafka refuses partition by partition, through a Python Kafka client.

Usage: commit_offsets.py confluent|kafka-python BOOTSTRAP GROUP TOPIC
librdkafka commits TOPIC-0 at 7 with TOPIC-99 (no such partition) at 7; kafka-python commits
TOPIC-1 at 3 with 5000 bytes of metadata (over Kafka's offset.metadata.max.bytes, 4096; the
python3-confluent-kafka 1.7 API has no metadata), then TOPIC-0 at 5 with the metadata
"checkpoint ünï". Prints one JSON object: what the commits raised (the exception's text, or null)
and the offsets of partitions 0 and 1 committed after (kafka-python: with their metadata).
"""
import json
import sys

client, bootstrap, group, topic = sys.argv[1:5]


def attempt(commit):
    try:
        commit()
        return None
    except Exception as e:  # the error the client reports is what is checked
        return f"{type(e).__name__}: {e}"


if client == "confluent":
    from confluent_kafka import Consumer, TopicPartition

    c = Consumer({"bootstrap.servers": bootstrap, "group.id": group, "enable.auto.commit": False})
    out = {
        "unknown_partition": attempt(lambda: c.commit(offsets=[TopicPartition(topic, 0, 7), TopicPartition(topic, 99, 7)], asynchronous=False)),
        "committed": [tp.offset for tp in c.committed([TopicPartition(topic, 0), TopicPartition(topic, 1)], timeout=10)],
    }
else:
    from kafka import KafkaConsumer, OffsetAndMetadata, TopicPartition

    c = KafkaConsumer(bootstrap_servers=bootstrap, group_id=group, enable_auto_commit=False)
    # kafka-python retries a commit with an unknown partition for ever (UNKNOWN_TOPIC_OR_PARTITION is
    # retriable to it, with Kafka too): its check is the metadata limit only.
    out = {
        "large_metadata": attempt(lambda: c.commit({TopicPartition(topic, 1): OffsetAndMetadata(3, "m" * 5000)})),
        "with_metadata": attempt(lambda: c.commit({TopicPartition(topic, 0): OffsetAndMetadata(5, "checkpoint ünï")})),
    }
    committed = [c.committed(TopicPartition(topic, p), metadata=True) for p in (0, 1)]
    out["committed"] = [m and [m.offset, m.metadata] for m in committed]
c.close()
print(json.dumps(out))
