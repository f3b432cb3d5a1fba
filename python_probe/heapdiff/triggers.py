"""Automatic dump triggers: signal, exit, periodic, RSS threshold."""

__all__ = []
