"""Figures of single training runs (filled in with the course notebooks)."""

__all__ = []
