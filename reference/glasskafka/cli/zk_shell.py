"""Placeholder while the command is written."""

from __future__ import annotations

import argparse

__all__ = ["register"]


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the subcommand."""
    parser = subparsers.add_parser("zk-shell", help="(being written)")
    parser.set_defaults(func=lambda args: 2)
