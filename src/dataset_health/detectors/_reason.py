"""The one-line reason of a verdict, written for the dataset's owner."""

from __future__ import annotations


def fmt(value: float) -> str:
    """A number as a person reads it.

    >>> [fmt(v) for v in (21400.0, 3.25, 0.02131, 3.2e18)]
    ['21,400', '3.25', '0.02131', '3.2e+18']
    """
    if abs(value) >= 1e15:
        return f"{value:.3g}"  # not twenty digits nobody reads (and a float has no more than 17)
    if abs(value) >= 100:
        return f"{value:,.0f}"
    if abs(value) >= 1:
        return f"{value:,.2f}".rstrip("0").rstrip(".")
    return f"{value:.4g}"


# From this many times the usual value up, a reason says "N times", not a percentage.
_TIMES = 10


def window_too_small(detector: object, needed: int) -> str:
    """``"; its training_window of 10 never holds that many: ..."`` when the window is the reason
    the history will stay too short, else ``""``: that is a setting to change, not data to wait for."""
    window = getattr(detector, "training_window", None)
    if window is None or int(window) >= needed:
        return ""
    return f"; its training_window of {int(window)} never holds that many: set it to {needed} or more"


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

    From ten times the usual value up: ``rows_deleted 48,210 is 482 times the usual 100 (...)``.

    ``usual`` names the reference ("the usual Monday", "the forecast");
    ``note`` adds why the band is what it is ("constant for 56 updates").
    A value within half a percent of the usual one is "in line" with it,
    unless it is outside the band: a constant metric's 0.45% step fails.
    """
    outside = (lower is not None and observed < lower) or (upper is not None and observed > upper)
    if not outside and (observed == expected or (expected and abs(observed - expected) / abs(expected) < 0.005)):
        relation = f"in line with {usual} {fmt(expected)}"
    elif expected and expected > 0 and observed >= _TIMES * expected:
        # "54,000% above" reads as noise; "540 times" is what a person says.
        relation = f"{observed / expected:,.0f} times {usual} {fmt(expected)}"
    elif expected:
        change = (observed - expected) / abs(expected) * 100
        side = "above" if change > 0 else "below"
        share = f"{abs(change):.0f}%" if abs(change) >= 1 else f"{abs(change):.2g}%"  # not "0% above"
        relation = f"{share} {side} {usual} {fmt(expected)}"
    else:
        relation = f"{'above' if observed > expected else 'below'} {usual} {fmt(expected)}"
    details = band_text(lower, upper) + (f"; {note}" if note else "")
    return f"{metric} {fmt(observed)} is {relation} ({details})"
