"""The asyncio runtime: the same nodes as the simulator, on real sockets and a real disk.

DESIGN §3 promises two drivers for one node code.  The simulator (``glasskafka.sim``) runs nodes
in virtual time; this package runs each node in its own process, on one asyncio event loop,
talking TCP on loopback (or a real network) and writing real files.  Read it in this order:

* ``clock`` -- the loop's monotonic clock as the node's ``now_ms``;
* ``host`` -- :class:`NodeHost`: one input at a time in, outputs carried out in order, timers;
* ``streams`` -- size-prefixed frames on a TCP connection, never a partial write;
* ``inbound`` and ``outbound`` -- accepted connections named ``client-<n>``; links a node opens
  to ``zk`` and ``broker-<id>``, with the simulated network's rules for broken connections;
* ``kafka_inbound`` and ``kafka_links`` -- Kafka's protocol on both kinds of connection;
* ``zk_codec`` and ``zk_wire`` -- the coordination service's own frames;
* ``address_book`` -- where each broker listens, from its registration znode;
* ``broker_process``, ``coordination_process`` -- what ``broker-start`` and
  ``zookeeper-start`` run; ``shell_process`` -- the ``zk-shell`` on a socket;
* ``kafka_client`` -- a small blocking Kafka client for the command-line tools;
* ``logs`` -- log lines in Kafka's layout;
* ``cluster`` -- starting, stopping and listing the processes of a local cluster.

The runtime makes no protocol decision (STYLE rule 2); where it answers or closes a connection
itself, the reason is the wire format (an undecodable frame, an ApiVersions version the codec
does not speak), and each such place says so.

Simplified from Kafka: one thread per process instead of network and request-handler pools;
no TLS or SASL listeners; no quotas.
"""

from glasskafka.runtime.clock import RuntimeClock
from glasskafka.runtime.host import NodeHost, Outbox

__all__ = ["NodeHost", "Outbox", "RuntimeClock"]
