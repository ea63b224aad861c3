"""Dyad ordering: the one definition of "which party comes first" in an unordered pair."""

from __future__ import annotations


def dyad_of(a: str, b: str) -> tuple[str, str]:
    """The unordered pair in code order: (A, B) and (B, A) are one relationship (the store's
    ``party_a``/``party_b`` columns, the checkpoints and every query follow this order)."""
    return (a, b) if a < b else (b, a)
