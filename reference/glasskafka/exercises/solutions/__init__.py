"""The reference solution of every lab, in the shape of its template.

The tests copy each over a fresh workspace and expect ``exercise check`` to pass; a teacher can
do the same to see a passing verdict.  They restate glasskafka's own code in the template's
signature, so a student who has passed can compare.

Spec IDs: none (exercise solutions).

Simplified from Kafka: not applicable.
"""

__all__: list[str] = []
