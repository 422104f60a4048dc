"""Wording shared by messages, reasons and tables."""

from __future__ import annotations


def counted(number: int, noun: str) -> str:
    """``1 past value``, ``3 past values``, ``1,200 updates``.

    >>> counted(1, "past value"), counted(0, "past row"), counted(1200, "update")
    ('1 past value', '0 past rows', '1,200 updates')
    """
    return f"{number:,} {noun}" + ("" if number == 1 else "s")
