"""The one-line reason of a verdict, written for the dataset's owner."""

from __future__ import annotations


def fmt(value: float) -> str:
    """A number as a person reads it: 21,400 / 3.25 / 0.0213."""
    if abs(value) >= 100:
        return f"{value:,.0f}"
    if abs(value) >= 1:
        return f"{value:,.2f}".rstrip("0").rstrip(".")
    return f"{value:.4g}"


def band_text(lower: float | None, upper: float | None) -> str:
    if lower is not None and upper is not None:
        return f"expected {fmt(lower)} to {fmt(upper)}"
    if lower is not None:
        return f"expected at least {fmt(lower)}"
    if upper is not None:
        return f"expected at most {fmt(upper)}"
    return "no expected range"


def reason(
    metric: str,
    observed: float,
    expected: float,
    lower: float | None,
    upper: float | None,
    *,
    usual: str = "the usual",
    note: str = "",
) -> str:
    """``rows_created 705 is 96% below the usual Monday 21,400 (expected 18,708 to 24,022)``.

    ``usual`` names the reference ("the usual Monday", "the forecast");
    ``note`` adds why the band is what it is ("constant for 56 updates").
    """
    if observed == expected or (expected and abs(observed - expected) / abs(expected) < 0.005):
        relation = f"in line with {usual} {fmt(expected)}"
    elif expected:
        change = (observed - expected) / abs(expected) * 100
        side = "above" if change > 0 else "below"
        relation = f"{abs(change):.0f}% {side} {usual} {fmt(expected)}"
    else:
        relation = f"{'above' if observed > expected else 'below'} {usual} {fmt(expected)}"
    details = band_text(lower, upper) + (f"; {note}" if note else "")
    return f"{metric} {fmt(observed)} is {relation} ({details})"
