"""The interactive API (objgraph's verbs, backed by the probe and the analyzer)."""

__all__ = []
