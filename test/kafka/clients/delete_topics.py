"""Deletes topics through a Python admin client (DeleteTopics), one call per topic.

Usage: delete_topics.py confluent|kafka-python BOOTSTRAP TOPIC...
Prints one JSON object: for each TOPIC, "deleted", or the error the client raised (its name and
message), so the test sees what a user of that client sees.
"""
import json
import sys

client, bootstrap, *topics = sys.argv[1:]
out = {}

if client == "confluent":
    from confluent_kafka.admin import AdminClient

    admin = AdminClient({"bootstrap.servers": bootstrap, "client.id": "delete-topics"})
    for topic in topics:
        try:
            admin.delete_topics([topic], operation_timeout=10)[topic].result(timeout=20)
            out[topic] = "deleted"
        except Exception as e:  # a KafkaException holding the KafkaError of the topic
            err = e.args[0]
            out[topic] = {"error": err.name(), "message": err.str()}
else:
    from kafka import KafkaAdminClient

    admin = KafkaAdminClient(bootstrap_servers=bootstrap, client_id="delete-topics")
    for topic in topics:
        try:
            response = admin.delete_topics([topic], timeout_ms=10000)
            codes = [code for _name, code, *_ in response.topic_error_codes]
            out[topic] = "deleted" if codes == [0] else {"error": codes}
        except Exception as e:  # kafka-python raises the error of the first topic that failed
            out[topic] = {"error": type(e).__name__, "message": str(e)}
    admin.close()

print(json.dumps(out))
