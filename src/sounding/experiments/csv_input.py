"""Read a spreadsheet export (CSV, one row per variant, control first) into variant statistics."""

from __future__ import annotations

import csv
from pathlib import Path

from sounding.experiments.data import Mean, Proportion, Rate, VariantData
from sounding.experiments.errors import ExperimentDataError

FORMATS: dict[tuple[str, ...], type] = {
    ("exposures", "successes"): Proportion,
    ("n", "sum", "sum_squares"): Mean,
    ("exposure_time", "count"): Rate,
}
_INTEGER_FIELDS = {"exposures", "successes", "n", "count"}


def read_variants(path: str | Path) -> list[VariantData]:
    """One experiment, one metric: the rows in order (control first)."""
    metrics = read_metrics(path)
    if len(metrics) != 1:
        raise ExperimentDataError(
            f"{path}: has {len(metrics)} metrics ({', '.join(metrics)}); analyse them together"
        )
    return next(iter(metrics.values()))


def read_metrics(path: str | Path) -> dict[str, list[VariantData]]:
    """Parse the CSV; the column set decides the metric kind and extra columns are ignored.

    An optional `metric` column holds several metrics in one file (rows grouped by its value, each
    group control first); without it the single metric is named "".
    """
    with open(path, newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        header = [h.strip() for h in (reader.fieldnames or [])]
        reader.fieldnames = header
        if "variant" not in header:
            raise ExperimentDataError(
                f"{path}: missing column 'variant' (columns: {', '.join(header) or 'none'})"
            )
        matches = [cols for cols in FORMATS if all(c in header for c in cols)]
        if len(matches) != 1:
            wanted = " or ".join(",".join(cols) for cols in FORMATS)
            problem = "several metric formats" if matches else "no metric format"
            raise ExperimentDataError(f"{path}: {problem} in the columns; expected variant plus {wanted}")
        columns = matches[0]
        rows = [row for row in reader if any((value or "").strip() for value in row.values())]
    metrics: dict[str, list[VariantData]] = {}
    for row in rows:
        item = FORMATS[columns](
            variant=(row["variant"] or "").strip(), **{c: _number(row, c) for c in columns}
        )
        metrics.setdefault((row.get("metric") or "").strip() if "metric" in header else "", []).append(item)
    return metrics


def _number(row: dict[str, str | None], field: str) -> int | float:
    variant = (row.get("variant") or "").strip()
    text = (row.get(field) or "").strip()
    if not text:
        raise ExperimentDataError("is empty", variant=variant, field=field)
    try:
        value = float(text)
    except ValueError:
        raise ExperimentDataError(f"is not a number: {text!r}", variant=variant, field=field) from None
    if field in _INTEGER_FIELDS and value.is_integer():
        return int(value)
    return value
