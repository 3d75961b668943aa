"""Client-observed histories and the delivery-anomaly checker.

Theory of operation
-------------------
A history is what Kafka clients saw, one completed operation per JSON line: sends and their
acknowledged offsets, polls and the records they returned, processing, commits, assignment and
subscription, rebalance callbacks, crashes and restarts (``model.py``; the format is documented in
``docs/concepts/history-checker.md``).  ``parse.py`` reads a file strictly, ``write.py`` and
``recorder.py`` write one, and :func:`check_history` (``checker.py``) finds the delivery
anomalies of Jepsen's Kafka taxonomy plus glasskafka's per-group checks, and returns a verdict
with counted, line-numbered examples.  Because it reads only what clients saw, the checker judges
any system that speaks Kafka's protocol, real Kafka included.

The package sits above ``sim`` and ``runtime`` in the layer table but imports neither: the
simulated clients will write histories through :class:`HistoryRecorder` from the driver side.

Spec IDs: every DELIV id of ``specs/delivery.py`` (``specs/delivery.py``).

Simplified from Kafka: no transactions yet (KIP-98); see ``anomalies.py`` for the kinds that
arrive with them.
"""

from glasskafka.history.anomalies import KINDS, Case, Kind
from glasskafka.history.checker import Finding, Report, Verdict, check_history
from glasskafka.history.model import (
    Assign,
    Commit,
    CommitMode,
    Committed,
    Crash,
    Delivery,
    History,
    Operation,
    Outcome,
    PartitionOffset,
    Poll,
    Process,
    Rebalance,
    RebalanceEvent,
    Record,
    Restart,
    Send,
    Subscribe,
)
from glasskafka.history.parse import parse_history, parse_line, read_history
from glasskafka.history.recorder import HistoryRecorder
from glasskafka.history.report import format_text, report_json
from glasskafka.history.validate import HistoryFormatError
from glasskafka.history.write import format_history, format_operation

__all__ = [
    "KINDS",
    "Assign",
    "Case",
    "Commit",
    "CommitMode",
    "Committed",
    "Crash",
    "Delivery",
    "Finding",
    "History",
    "HistoryFormatError",
    "HistoryRecorder",
    "Kind",
    "Operation",
    "Outcome",
    "PartitionOffset",
    "Poll",
    "Process",
    "Rebalance",
    "RebalanceEvent",
    "Record",
    "Report",
    "Restart",
    "Send",
    "Subscribe",
    "Verdict",
    "check_history",
    "format_history",
    "format_operation",
    "format_text",
    "parse_history",
    "parse_line",
    "read_history",
    "report_json",
]
