"""A transactional librdkafka producer (python3-confluent-kafka), which the Kafka listener refuses.

Usage: transactional_producer.py BOOTSTRAP TIMEOUT_S
Prints one JSON object: what init_transactions answered within TIMEOUT_S seconds (the error's
name, whether librdkafka holds it fatal or retriable, its message), or {"initialized": true}.
"""
import json
import sys

from confluent_kafka import KafkaException, Producer

bootstrap, timeout = sys.argv[1], float(sys.argv[2])
p = Producer({"bootstrap.servers": bootstrap, "transactional.id": "tributary-test-tx"})
try:
    p.init_transactions(timeout)
    print(json.dumps({"initialized": True}))
except KafkaException as e:
    err = e.args[0]
    print(json.dumps({"error": err.name(), "fatal": err.fatal(), "retriable": err.retriable(), "message": err.str()}))
