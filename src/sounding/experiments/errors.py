"""Errors for experiment input a user can fix, as `sounding.errors` kinds.

Both stay `ValueError`s too, so code written against the pure functions keeps working.
"""

from __future__ import annotations

from sounding.errors import InputError, UsageError


class ExperimentDataError(InputError, ValueError):
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


class OptionError(UsageError, ValueError):
    """An option outside its range (alpha, baseline, days, weights...): the command as written cannot run."""
