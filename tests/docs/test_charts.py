"""The metric chart SVG: what it draws for gaps, bands, marks and odd series."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import numpy as np
import pandas as pd

from dataset_health.docs.charts import HEIGHT, WIDTH, metric_chart_svg

SVG = "{http://www.w3.org/2000/svg}"


def points(values, *, lower=np.nan, upper=np.nan, failed=(), incident=(), freq="D", tz=None) -> pd.DataFrame:
    n = len(values)
    frame = pd.DataFrame({
        "timestamp": pd.date_range("2026-01-01 06:00", periods=n, freq=freq, tz=tz),
        "value": values,
        "lower": lower,
        "upper": upper,
        "failed": False,
        "incident": False,
    })
    frame.loc[list(failed), "failed"] = True
    frame.loc[list(incident), "incident"] = True
    return frame


def parse(svg: str) -> ET.Element:
    root = ET.fromstring(svg)  # well-formed XML, or this raises
    assert root.tag == SVG + "svg" and root.get("viewBox") == f"0 0 {WIDTH} {HEIGHT}"
    return root


def y_labels(root: ET.Element) -> list[str]:
    return [t.text for t in root.iter(SVG + "text") if t.get("text-anchor") == "end"]


def test_a_missing_value_breaks_the_line_and_the_band_covers_only_judged_updates() -> None:
    values = np.arange(20, dtype=float) + 100
    values[8] = np.nan
    lower = np.full(20, np.nan)
    upper = np.full(20, np.nan)
    lower[15:], upper[15:] = 90.0, 130.0  # the last five updates were judged
    root = parse(metric_chart_svg(points(values, lower=lower, upper=upper)))

    lines = list(root.iter(SVG + "polyline"))
    assert [len(line.get("points").split()) for line in lines] == [8, 11]
    bands = list(root.iter(SVG + "polygon"))
    assert len(bands) == 1 and len(bands[0].get("points").split()) == 10  # 5 upper + 5 lower corners
    band_x = [float(p.split(",")[0]) for p in bands[0].get("points").split()]
    line_x = [float(p.split(",")[0]) for p in lines[1].get("points").split()]
    assert min(band_x) == line_x[-5]  # the band starts at the first judged update


def test_anomalies_and_incidents_are_marked_with_their_date_and_value() -> None:
    values = np.full(30, 20_000.0) + np.arange(30)
    values[25] = 705.0
    root = parse(metric_chart_svg(points(values, failed=[25], incident=[25, 10])))

    circles = list(root.iter(SVG + "circle"))
    assert len(circles) == 1
    assert circles[0].find(SVG + "title").text == "2026-01-26 06:00: 705"
    crosses = [p.find(SVG + "title").text for p in root.iter(SVG + "path")]
    assert crosses == ["2026-01-11 06:00: 20,010 (labelled incident)", "2026-01-26 06:00: 705 (labelled incident)"]
    # The low value sits lower on the chart than its neighbours (SVG y grows downwards).
    assert float(circles[0].get("cy")) > HEIGHT / 2
    # An alarm on an incident is drawn over its cross, not hidden under it.
    marks = [child.tag for child in root if child.tag in (SVG + "circle", SVG + "path")]
    assert marks == [SVG + "path", SVG + "path", SVG + "circle"]


def test_a_constant_metric_is_drawn_mid_axis_on_round_ticks() -> None:
    root = parse(metric_chart_svg(points(np.full(50, 14.0))))
    assert y_labels(root) == ["13", "13.5", "14", "14.5", "15"]
    (line,) = root.iter(SVG + "polyline")
    assert {p.split(",")[1] for p in line.get("points").split()} == {f"{(HEIGHT - 22 + 8) / 2:.1f}"}


def test_a_count_keeps_zero_as_its_floor_and_big_numbers_get_separators() -> None:
    values = np.r_[np.full(20, 1_200_000.0), 0.0]
    labels = y_labels(parse(metric_chart_svg(points(values))))
    assert labels[0] == "0" and not any(label.startswith("-") for label in labels)
    assert "1,200,000" in labels or "1,000,000" in labels


def test_date_labels_suit_the_span_and_time_zones_are_drawn_as_archived() -> None:
    hourly = parse(metric_chart_svg(points(np.arange(48.0), freq="h", tz="America/New_York")))
    labels = [t.text for t in hourly.iter(SVG + "text") if t.get("text-anchor") == "middle"]
    assert 2 <= len(labels) <= 8 and all(re.fullmatch(r"(\w{3} \d{2} )?\d{2}:\d{2}", label) for label in labels)
    two_years = parse(metric_chart_svg(points(np.arange(730.0))))
    labels = [t.text for t in two_years.iter(SVG + "text") if t.get("text-anchor") == "middle"]
    assert 2 <= len(labels) <= 8 and all(re.fullmatch(r"\w{3} \d{4}|\d{4}", label) for label in labels)


def test_no_finite_value_or_a_single_point_still_draws_a_valid_chart() -> None:
    assert list(parse(metric_chart_svg(points([np.nan, np.nan]))).iter(SVG + "polyline")) == []
    (line,) = parse(metric_chart_svg(points([5.0]))).iter(SVG + "polyline")
    assert len(line.get("points").split()) == 1


def test_values_near_the_largest_double_still_draw_with_readable_ticks() -> None:
    # 1.7e308 is finite, but the range from -1.7e308 to it is not: the ticks overflowed.
    root = parse(metric_chart_svg(points([1.0, 1.7e308, 3.0], lower=-1.7e308, upper=1.7e308)))
    (line,) = root.iter(SVG + "polyline")
    assert len(line.get("points").split()) == 3
    assert all(len(label) < 12 for label in y_labels(root)), y_labels(root)
