"""Errors raised for experiment data that cannot be analysed."""

from __future__ import annotations


class ExperimentDataError(ValueError):
    """Bad input for one variant and one field, named so the user can fix the right cell."""

    def __init__(self, message: str, *, variant: str | None = None, field: str | None = None) -> None:
        where = ", ".join(
            part
            for part in (
                f"variant {variant!r}" if variant is not None else "",
                f"field {field!r}" if field is not None else "",
            )
            if part
        )
        super().__init__(f"{where}: {message}" if where else message)
        self.variant = variant
        self.field = field
