"""An idempotent librdkafka producer (python3-confluent-kafka) that keeps producing while the
gateway restarts, for the Kafka listener's restart test.

Usage:
  idempotent_producer.py BOOTSTRAP TOPIC PARTITION N
Produces the values m-0 .. m-(N-1) (each padded to 1 KB) to one partition as fast as the
gateway takes them, so a Produce is always in flight, retrying through the restart. Prints one JSON object: the offset each value was acknowledged at, and any delivery errors.
"""
import json
import sys

from confluent_kafka import Producer

bootstrap, topic, partition, n = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
p = Producer({
    "bootstrap.servers": bootstrap,
    "enable.idempotence": True,
    "linger.ms": 2,
    # Back quickly once the gateway listens again.
    "reconnect.backoff.ms": 50,
    "reconnect.backoff.max.ms": 200,
    "retry.backoff.ms": 50,
    "message.timeout.ms": 60000,
})
offsets = {}
errors = []


def delivered(err, msg):
    if err:
        errors.append(str(err))
    else:
        offsets[msg.value().decode().rstrip()] = msg.offset()


for i in range(n):
    while True:
        try:
            p.produce(topic, value=f"m-{i}".ljust(1000).encode(), partition=partition, on_delivery=delivered)
            break
        except BufferError:
            p.poll(0.01)
    p.poll(0)
left = p.flush(60)
print(json.dumps({"offsets": offsets, "errors": errors, "undelivered": left}), flush=True)
