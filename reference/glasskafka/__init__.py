"""glasskafka: a glass-box Kafka for teaching.

A reference implementation of Apache Kafka's ZooKeeper-era architecture in which every protocol
decision can be read, stepped through in a deterministic simulator, drawn, and is checked against
an executable specification.  Start with ``docs/`` or ``glasskafka quickstart``.

Packages, lowest layer first (imports only point at lower layers;
``reference/tests/test_layering.py`` enforces it): ``ids``, ``errors``, ``config``, ``bugs``,
``node``; ``records``; ``protocol``;
``storage``; ``log``; ``coordination``; ``broker``; ``controller``; ``group``; ``assignors``;
``client``; ``sim``; ``runtime``; ``history``; ``viz``; ``cli``.
"""

__version__ = "0.1.0"

__all__ = ["__version__"]
