"""Spec loading: YAML files with line numbers → one validated in-memory model."""
