"""Commits an offset in COUNT consumer groups of its own, as one-off consumers (console tools, CI jobs) do.

Usage: many_groups.py BOOTSTRAP TOPIC PREFIX COUNT
kafka-python: for each group PREFIX0..PREFIX{COUNT-1}, a consumer commits offset 0 of TOPIC-0 and
closes. Prints the number of groups committed.
"""
import sys

from kafka import KafkaConsumer, OffsetAndMetadata, TopicPartition

bootstrap, topic, prefix, count = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
for i in range(count):
    c = KafkaConsumer(bootstrap_servers=bootstrap, group_id=f"{prefix}{i}", enable_auto_commit=False)
    c.commit({TopicPartition(topic, 0): OffsetAndMetadata(0, None)})
    c.close()
print(count)
