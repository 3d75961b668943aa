"""glasskafka's own clients from ordinary Python: a blocking API shaped like kafka-python's.

Theory of operation
-------------------
The simulator drives the producer and consumer nodes in virtual time; a program wants to write
``producer.send(...).get()`` and ``for record in consumer``.  This module is the front door for
that program.  Code written for kafka-python needs one import changed::

    from glasskafka.runtime.facade import KafkaAdminClient, KafkaConsumer, KafkaProducer, NewTopic

    admin = KafkaAdminClient(bootstrap_servers="127.0.0.1:9092")
    admin.create_topics([NewTopic("greetings", 3, 1)])
    with KafkaProducer(bootstrap_servers="127.0.0.1:9092", value_serializer=str.encode) as p:
        print(p.send("greetings", "hello", key=b"k").get(timeout=10))
    consumer = KafkaConsumer("greetings", bootstrap_servers="127.0.0.1:9092",
                             group_id="readers", auto_offset_reset="earliest",
                             consumer_timeout_ms=3000, value_deserializer=bytes.decode)
    for record in consumer:
        print(record.partition, record.offset, record.value)
    consumer.close()

Under the names, nothing is kafka-python's:

* ``facade_producer`` -- :class:`KafkaProducer` on glasskafka's
  :class:`~glasskafka.client.ProducerNode` (idempotent, ``acks=all`` by default, as Kafka 3.x);
* ``facade_consumer`` -- :class:`KafkaConsumer` on its
  :class:`~glasskafka.client.consumer.ConsumerNode` (groups, assign, seek, commits);
* ``facade_admin`` -- :class:`KafkaAdminClient`, requests routed to the controller, every broker
  or the group coordinator;
* ``client_host`` -- the event loop in a background thread, one per client object, that runs a
  node on real sockets; ``close()`` stops it and closes every socket;
* ``facade_values`` -- the named tuples (:class:`TopicPartition`, :class:`ConsumerRecord`,
  :class:`RecordMetadata`...) and errors; ``facade_lookups`` -- one-question lookups.

Because the nodes speak Kafka's protocol, the same program runs against a real Kafka cluster by
changing ``bootstrap_servers`` (``docs/guide/moving-to-real-kafka.md``).  Errors are
:class:`~glasskafka.errors.GlassKafkaError` (bad input, naming the keyword) and its subclass
:class:`~glasskafka.errors.KafkaProtocolError` (a Kafka error code, ``.code``), of which
:class:`KafkaTimeoutError` is the ``REQUEST_TIMED_OUT`` kind.

Spec IDs: none (the nodes keep theirs).

Simplified from kafka-python: no SSL/SASL, transactions, ``pause``/``resume``, metrics or
``offsets_for_times``; each module's note says what else it leaves out.
"""

from __future__ import annotations

from glasskafka.errors import GlassKafkaError, KafkaProtocolError
from glasskafka.runtime.facade_admin import GroupDescription, GroupMember, KafkaAdminClient
from glasskafka.runtime.facade_consumer import KafkaConsumer
from glasskafka.runtime.facade_producer import FutureRecordMetadata, KafkaProducer
from glasskafka.runtime.facade_values import (
    ConsumerRecord,
    KafkaTimeoutError,
    NewTopic,
    OffsetAndMetadata,
    RecordMetadata,
    TopicPartition,
)

__all__ = [
    "ConsumerRecord",
    "FutureRecordMetadata",
    "GlassKafkaError",
    "GroupDescription",
    "GroupMember",
    "KafkaAdminClient",
    "KafkaConsumer",
    "KafkaProducer",
    "KafkaProtocolError",
    "KafkaTimeoutError",
    "NewTopic",
    "OffsetAndMetadata",
    "RecordMetadata",
    "TopicPartition",
]
