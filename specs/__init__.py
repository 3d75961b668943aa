"""Executable specifications: invariants with stable IDs, and small abstract models."""
