"""Implement-it labs: re-write one piece of glasskafka, and let its own suites judge it.

Theory of operation
-------------------
``glasskafka exercise start NAME`` writes a workspace with one Python file (a function's
contract and ``raise NotImplementedError``) and a README.  The student writes the function.
``glasskafka exercise check NAME`` imports the file by path, plugs the function into glasskafka
where the reference piece is called (a :class:`~glasskafka.exercises.lab.Substitution`: an exact
module attribute, patched for the duration of the check), and runs the lab's checks: golden
examples, Hypothesis properties against the reference, and the project's model suites, which
now run through the student's code.  The verdict lists each check and tells each failure as a
story (inputs, expected, got), with a picture where one helps.

The pieces: ``lab.py`` (what a lab is), ``workspace.py`` (start and load), ``runner.py``
(substitute and run), ``limits.py`` (a time limit on the student's code), ``report.py`` (the
verdict's text), ``pictures.py`` (writing a counterexample's DOT and SVG), ``suites.py`` (model
suites shared by labs), one ``lab_*.py`` per lab (``keyed_producer_model.py`` is the murmur2
lab's model check), ``catalogue.py`` (the labs by name), ``templates/`` and ``solutions/`` (what
the student starts from, and a passing answer).

Two more exercises live here.  The bug hunt (``hunts.py``, the model suite that finds each bug
flag; ``bughunt.py``, choosing a hidden flag per student, showing only the broken invariant and
the run, and judging the student's diagnosis).  And the counterexample gallery
(``gallery.py``), which writes ``docs/guide/counterexamples.md`` from the scripted replication
scenarios and the history checker's examples.

This package sits above every other layer but ``cli``: a lab may plug into any of them.

Spec IDs: none of its own; each lab names the IDs its checks judge.

Simplified from Kafka: not applicable; Kafka ships no exercises.
"""

from glasskafka.exercises.catalogue import LABS, lab_named
from glasskafka.exercises.lab import (
    Check,
    CheckContext,
    CheckOutcome,
    Counterexample,
    Lab,
    LabFailure,
    Substitution,
)
from glasskafka.exercises.report import format_verdict
from glasskafka.exercises.runner import Verdict, check_lab
from glasskafka.exercises.workspace import load_student, start_workspace, student_file

__all__ = [
    "LABS",
    "Check",
    "CheckContext",
    "CheckOutcome",
    "Counterexample",
    "Lab",
    "LabFailure",
    "Substitution",
    "Verdict",
    "check_lab",
    "format_verdict",
    "lab_named",
    "load_student",
    "start_workspace",
    "student_file",
]
