"""Metadata, produce and consume through a Python Kafka client, for the Kafka listener's tests.

Usage:
  produce_consume.py CLIENT BOOTSTRAP metadata              -> {"topics": {name: partitions}}
  produce_consume.py CLIENT BOOTSTRAP consume TOPIC         -> one JSON line per record: partition, offset, value (base64)
  produce_consume.py CLIENT BOOTSTRAP produce TOPIC CODEC N -> N records with acks=-1 and compression CODEC
  produce_consume.py CLIENT BOOTSTRAP times TOPIC PARTITION TS... -> {TS: [offset, timestamp]}: offsets_for_times,
    [null, null] where the client says no record is that late (librdkafka gives no timestamp: null)
CLIENT is confluent (librdkafka) or kafka-python. consume reads every partition from its start
to the end it had when the client started.
"""
import base64
import json
import os
import sys

client, bootstrap, mode = sys.argv[1:4]
# SASL/PLAIN when KAFKA_SASL_PASSWORD is set (the username is free).
password = os.environ.get("KAFKA_SASL_PASSWORD")


def out(**fields):
    print(json.dumps(fields), flush=True)


def confluent():
    from confluent_kafka import Consumer, Producer, TopicPartition, OFFSET_BEGINNING

    sasl = {"security.protocol": "SASL_PLAINTEXT", "sasl.mechanisms": "PLAIN", "sasl.username": "tests", "sasl.password": password} if password else {}
    if mode == "metadata":
        md = Consumer({"bootstrap.servers": bootstrap, "group.id": "metadata", **sasl}).list_topics(timeout=10)
        out(topics={name: len(t.partitions) for name, t in md.topics.items()}, brokers=[[b.id, b.host, b.port] for b in md.brokers.values()])
    elif mode == "consume":
        topic = sys.argv[4]
        c = Consumer({"bootstrap.servers": bootstrap, "group.id": "reader", "enable.auto.commit": False})
        parts = c.list_topics(topic, timeout=10).topics[topic].partitions
        ends = {p: c.get_watermark_offsets(TopicPartition(topic, p), timeout=10)[1] for p in parts}
        c.assign([TopicPartition(topic, p, OFFSET_BEGINNING) for p in parts])
        seen = {p: 0 for p in parts}
        while any(seen[p] < ends[p] for p in parts):
            m = c.poll(5)
            if m is None or m.error():
                continue
            seen[m.partition()] = m.offset() + 1
            out(partition=m.partition(), offset=m.offset(), value=base64.b64encode(m.value()).decode())
        c.close()
    elif mode == "times":
        topic, partition, stamps = sys.argv[4], int(sys.argv[5]), [int(t) for t in sys.argv[6:]]
        c = Consumer({"bootstrap.servers": bootstrap, "group.id": "times"})
        # One query per timestamp: librdkafka keeps one entry per partition of a list.
        found = {t: c.offsets_for_times([TopicPartition(topic, partition, t)], timeout=10)[0] for t in stamps}
        out(**{str(t): [f.offset if f.offset >= 0 else None, None] for t, f in found.items()})
        c.close()
    else:
        topic, codec, n = sys.argv[4], sys.argv[5], int(sys.argv[6])
        p = Producer({"bootstrap.servers": bootstrap, "acks": "all", "compression.type": codec, "linger.ms": 20})
        errors = []
        for i in range(n):
            p.produce(topic, value=f"{codec}-{i}".encode(), key=b"k", on_delivery=lambda err, msg: err and errors.append(str(err)))
        p.flush(30)
        if errors:
            print(errors[0], file=sys.stderr)
            sys.exit(1)


def kafka_python():
    from kafka import KafkaConsumer, KafkaProducer, TopicPartition

    sasl = dict(security_protocol="SASL_PLAINTEXT", sasl_mechanism="PLAIN", sasl_plain_username="tests", sasl_plain_password=password) if password else {}
    if mode == "metadata":
        c = KafkaConsumer(bootstrap_servers=bootstrap, **sasl)
        out(topics={t: len(c.partitions_for_topic(t)) for t in c.topics()})
        c.close()
    elif mode == "consume":
        topic = sys.argv[4]
        c = KafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
        tps = [TopicPartition(topic, p) for p in c.partitions_for_topic(topic)]
        c.assign(tps)
        c.seek_to_beginning(*tps)
        ends = c.end_offsets(tps)
        while any(c.position(tp) < ends[tp] for tp in tps):
            for tp, records in c.poll(timeout_ms=1000).items():
                for r in records:
                    out(partition=tp.partition, offset=r.offset, value=base64.b64encode(r.value).decode())
        c.close()
    elif mode == "times":
        topic, partition, stamps = sys.argv[4], int(sys.argv[5]), [int(t) for t in sys.argv[6:]]
        c = KafkaConsumer(bootstrap_servers=bootstrap)
        tp = TopicPartition(topic, partition)
        found = {t: c.offsets_for_times({tp: t})[tp] for t in stamps}
        out(**{str(t): [f.offset, f.timestamp] if f else [None, None] for t, f in found.items()})
        c.close()
    else:
        topic, codec, n = sys.argv[4], sys.argv[5], int(sys.argv[6])
        p = KafkaProducer(bootstrap_servers=bootstrap, acks="all", compression_type=None if codec == "none" else codec, linger_ms=20)
        futures = [p.send(topic, value=f"{codec}-{i}".encode(), key=b"k") for i in range(n)]
        for f in futures:
            f.get(timeout=30)
        p.close()


confluent() if client == "confluent" else kafka_python()
