"""Pictures drawn with Graphviz: traces, clusters, partition logs, group assignments.

Each module draws one kind of picture and returns a ``graphviz.Digraph`` (DOT text that needs no
Graphviz installed; rendering it needs the ``dot`` program).  ``viz`` is the highest layer but
the command line: it may read anything below it and nothing reads it back (STYLE rule 1).

* ``sequence`` -- a simulator trace as a sequence diagram (:func:`sequence_diagram`).

The other modules (``cluster``, ``log``, ``assignment``, ``history``) are imported by name, so
importing one picture does not import the rest; ``render`` is the one place that runs ``dot``.

Spec IDs: none (pictures of what the specs check).

Simplified from Kafka: Kafka draws nothing; these are the figures of a Kafka course, drawn from
live objects.
"""

from glasskafka.viz.sequence import sequence_diagram

__all__ = ["sequence_diagram"]
