"""Compare two captured schemas: columns added, removed or retyped.

Capture stores a schema as JSON, ``[[column, type], ...]``, in the archive's
``schema`` column; this module reads two of them and names the differences.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from dataset_health.errors import BadInputError


@dataclass(frozen=True)
class SchemaChange:
    """How the newest schema differs from the previous one."""

    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    retyped: dict[str, tuple[str, str]] = field(default_factory=dict)

    @property
    def changed(self) -> bool:
        return bool(self.added or self.removed or self.retyped)

    def describe(self) -> str:
        parts = []
        if self.added:
            parts.append("added " + ", ".join(self.added))
        if self.removed:
            parts.append("removed " + ", ".join(self.removed))
        if self.retyped:
            parts.append("retyped " + ", ".join(f"{c} ({a} -> {b})" for c, (a, b) in self.retyped.items()))
        return "; ".join(parts) or "no change"


def parse_schema(value: Any) -> dict[str, str]:
    """Column -> type from the stored JSON (or an already parsed list)."""
    try:
        pairs = json.loads(value) if isinstance(value, str) else value
        return {str(name): str(kind) for name, kind in pairs}
    except (TypeError, ValueError) as exc:
        raise BadInputError(f"field 'schema': {str(value)[:80]!r} is not a captured schema ({exc})") from None


def compare_schemas(previous: Any, newest: Any) -> SchemaChange:
    """The columns added, removed and retyped from ``previous`` to ``newest``."""
    before, after = parse_schema(previous), parse_schema(newest)
    return SchemaChange(
        added=[c for c in after if c not in before],
        removed=[c for c in before if c not in after],
        retyped={c: (before[c], after[c]) for c in after if c in before and before[c] != after[c]},
    )
