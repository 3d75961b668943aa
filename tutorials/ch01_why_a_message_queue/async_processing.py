"""Asynchronous processing (异步处理): answer the user first, send the SMS and the email later.

Run from the repository root::

    python -m tutorials.ch01_why_a_message_queue.async_processing

The course's example is a sign-up that must also send a verification SMS and an email.  Done in
the request, the user waits for all three.  With a queue, the sign-up writes one event,
``user-registered``, to the topic ``signups`` and answers; an SMS service and an email service
read the event when they get to it.

The time to write the event is measured in the simulator: a produce with ``acks=all`` to a
3-broker cluster (replication factor 3), so the leader answers only once both followers have the
record.  The other times are assumptions, stated here: saving the user takes 50 ms, sending an
SMS 300 ms, an email 200 ms.  The simulated network takes 1 to 5 ms per message; a real one in
one data centre is in the same range, but a real broker also spends time on disks and threads.

Spec IDs: none (a demonstration).

Simplified from Kafka: the web server, the SMS service and the email service are lines of this
script, not nodes; a real SMS service would be a consumer in its own group (chapter on groups).
"""

from __future__ import annotations

from glasskafka.errors import ErrorCode, GlassKafkaError
from glasskafka.sim.kafka_cluster import ACKS_ALL, KafkaCluster

from tutorials.ch01_why_a_message_queue.common import read_from, start_cluster

__all__ = ["EMAIL_MS", "SAVE_USER_MS", "SMS_MS", "USERS", "main", "sign_up"]

SAVE_USER_MS = 50
SMS_MS = 300
EMAIL_MS = 200
USERS = ("alice", "bob", "carol")


def sign_up(cluster: KafkaCluster, user: str) -> tuple[int, int]:
    """Save ``user`` (simulated time passes) and write the event.

    Returns the response time in ms and the event's offset.

    Raises :class:`GlassKafkaError` if the event is not acknowledged.
    """
    started_ms = cluster.now_ms
    cluster.run_for(SAVE_USER_MS)
    result = cluster.produce("signups", 0, [(user.encode(), b"user-registered")], acks=ACKS_ALL)
    if not result.answered or result.error is not ErrorCode.NONE:
        raise GlassKafkaError(f"the event for {user} was not acknowledged: {result.error.name}")
    return cluster.now_ms - started_ms, result.base_offset


def main() -> None:
    """Sign three users up both ways, then let the two services read the events."""
    cluster = start_cluster(brokers=3, seed=3, topic="signups", replication_factor=3)
    synchronous_ms = SAVE_USER_MS + SMS_MS + EMAIL_MS
    print(
        f"in the request: save {SAVE_USER_MS} + SMS {SMS_MS} + email {EMAIL_MS} ms; "
        f"every user waits {synchronous_ms} ms"
    )
    print(f"through the topic: save {SAVE_USER_MS} ms, then write the event (acks=all, measured)")
    for user in USERS:
        waited_ms, offset = sign_up(cluster, user)
        print(f"  {user:<5} waits {waited_ms} ms; the event is at offset {offset}")
    # Each service reads the topic on its own, from its own position: offset 0 for both.
    for service, work_ms in (("sms-service", SMS_MS), ("email-service", EMAIL_MS)):
        events = read_from(cluster, "signups", 0, 0, client=service)
        users = ", ".join((e.key or b"").decode() for e in events)
        busy_ms = work_ms * len(events)
        print(f"{service} read {len(events)} events ({users}) and worked {busy_ms} ms on them")


if __name__ == "__main__":
    main()
