"""Prints, as one JSON object, what kafka-python's admin client sees of a group over the Kafka
protocol: ListGroups, DescribeGroups and OffsetFetch.

Usage: describe_group.py BOOTSTRAP GROUP
"""
import json
import sys

from kafka import KafkaAdminClient

bootstrap, group = sys.argv[1:3]
admin = KafkaAdminClient(bootstrap_servers=bootstrap, client_id="describe-group")
listed = [{"group": g, "protocol_type": t} for g, t in admin.list_consumer_groups()]
described = []
for d in admin.describe_consumer_groups([group]):
    described.append({
        "group": d.group,
        "state": d.state,
        "protocol_type": d.protocol_type,
        "protocol": d.protocol,
        "members": [
            {"client_id": m.client_id, "topics": list(m.member_metadata.subscription), "assignment": [[t, sorted(ps)] for t, ps in m.member_assignment.assignment]}
            for m in d.members
        ],
    })
offsets = {f"{tp.topic}-{tp.partition}": o.offset for tp, o in admin.list_consumer_group_offsets(group).items()}
admin.close()
print(json.dumps({"listed": listed, "described": described, "offsets": offsets}))
