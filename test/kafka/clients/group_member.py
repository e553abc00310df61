"""One member of a consumer group, for the Kafka listener's tests.

Usage: group_member.py confluent|kafka-python BOOTSTRAP GROUP TOPIC NAME [--instance=ID]
(--instance: a static member with that group.instance.id; confluent only)

Consumes TOPIC in GROUP, committing (synchronously) after each record it handled, and prints
one JSON line per event: {"event": "assigned", "partitions": [...]}, {"event": "record",
"partition": P, "offset": O, "value": V}. On SIGTERM it closes the consumer, which leaves the
group, and prints {"event": "closed"}.
"""
import json
import signal
import sys

client, bootstrap, group, topic, name = sys.argv[1:6]
instance = next((a.split("=", 1)[1] for a in sys.argv[6:] if a.startswith("--instance=")), None)
stopping = False


def stop(*_):
    global stopping
    stopping = True


signal.signal(signal.SIGTERM, stop)


def emit(**event):
    print(json.dumps({"member": name, **event}), flush=True)


def run_confluent():
    from confluent_kafka import Consumer

    config = {
        "bootstrap.servers": bootstrap,
        "group.id": group,
        "client.id": name,
        "auto.offset.reset": "earliest",
        "enable.auto.commit": False,
        "session.timeout.ms": 6000,
        "heartbeat.interval.ms": 500,
    }
    if instance:
        config["group.instance.id"] = instance
    if "--debug" in sys.argv:
        config["debug"] = "protocol,cgrp"
    consumer = Consumer(config)

    def on_assign(c, partitions):
        emit(event="assigned", partitions=sorted(p.partition for p in partitions))

    def on_revoke(c, partitions):
        emit(event="revoked", partitions=sorted(p.partition for p in partitions))

    consumer.subscribe([topic], on_assign=on_assign, on_revoke=on_revoke)
    while not stopping:
        msg = consumer.poll(0.2)
        if msg is None:
            continue
        if msg.error():
            emit(event="error", error=str(msg.error()))
            continue
        emit(event="record", partition=msg.partition(), offset=msg.offset(), value=msg.value().decode())
        try:
            consumer.commit(message=msg, asynchronous=False)
        except Exception as e:  # a rebalance started: the record is handed on uncommitted
            emit(event="commit-failed", error=str(e))
    consumer.close()
    emit(event="closed")


def run_kafka_python():
    from kafka import KafkaConsumer, OffsetAndMetadata
    from kafka.consumer.subscription_state import ConsumerRebalanceListener

    class Listener(ConsumerRebalanceListener):
        def on_partitions_assigned(self, assigned):
            emit(event="assigned", partitions=sorted(p.partition for p in assigned))

        def on_partitions_revoked(self, revoked):
            emit(event="revoked", partitions=sorted(p.partition for p in revoked))

    consumer = KafkaConsumer(
        bootstrap_servers=bootstrap,
        group_id=group,
        client_id=name,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        session_timeout_ms=6000,
        heartbeat_interval_ms=500,
    )
    consumer.subscribe([topic], listener=Listener())
    while not stopping:
        batches = consumer.poll(timeout_ms=200)
        for tp, records in batches.items():
            for r in records:
                emit(event="record", partition=tp.partition, offset=r.offset, value=r.value.decode())
                try:
                    consumer.commit({tp: OffsetAndMetadata(r.offset + 1, None)})
                except Exception as e:  # a rebalance started: the record is handed on uncommitted
                    emit(event="commit-failed", error=str(e))
    consumer.close()
    emit(event="closed")


run_confluent() if client == "confluent" else run_kafka_python()
