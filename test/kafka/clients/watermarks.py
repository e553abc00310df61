"""Reads a partition from its start with librdkafka's consumer, then prints its watermarks.

Usage: watermarks.py BOOTSTRAP TOPIC
Prints one JSON object: the offsets of the records read, and the partition's [low, high]
watermarks as the consumer knows them from its fetches (get_watermark_offsets cached=True, what
librdkafka's lag statistics use) and as it asks the broker for them (cached=False).
"""
import json
import sys

from confluent_kafka import Consumer, TopicPartition

bootstrap, topic = sys.argv[1:3]
consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": "watermarks", "auto.offset.reset": "earliest", "enable.auto.commit": False})
tp = TopicPartition(topic, 0)
high = consumer.get_watermark_offsets(tp, cached=False)[1]
consumer.assign([tp])
offsets = []
while not offsets or offsets[-1] < high - 1:
    message = consumer.poll(30)
    if message is None:
        sys.exit("no record within 30 s")
    if message.error():
        sys.exit(str(message.error()))
    offsets.append(message.offset())
print(json.dumps({"offsets": offsets, "cached": list(consumer.get_watermark_offsets(tp, cached=True)), "asked": list(consumer.get_watermark_offsets(tp, cached=False))}))
consumer.close()
