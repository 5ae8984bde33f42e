"""One error family for everything a user can cause or fix.

Every layer (core, CLI, REST API, pages) raises a :class:`SoundingError` kind; the CLI turns it into
one line and the kind's documented exit code in one place (``sounding.cli``), the API into an HTTP
status. Messages never carry row values, secrets or raw untrusted text.
"""

from __future__ import annotations

import traceback
from datetime import UTC, datetime
from pathlib import Path


class SoundingError(Exception):
    """Base of all user-facing errors. ``exit_code`` and ``http_status`` say how layers report it."""

    exit_code = 1
    http_status = 400
    kind = "error"

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message} ({self.hint})" if self.hint else self.message


class UsageError(SoundingError):
    """The command was asked for something it cannot do as written (bad option, bad path)."""

    exit_code = 2
    kind = "usage"


class InputError(SoundingError):
    """A file or value given to Sounding cannot be read (not the rows inside it: those are rejected)."""

    exit_code = 3
    kind = "input"


class NotFoundError(SoundingError):
    """A named thing (post, theme, lesson, experiment, account, person) does not exist."""

    exit_code = 4
    http_status = 404
    kind = "not_found"


class NotReadyError(SoundingError):
    """The store does not hold what the request needs yet (e.g. nothing analysed)."""

    exit_code = 5
    http_status = 409
    kind = "not_ready"


class StoreError(SoundingError):
    """The store cannot be opened or written (not a database, locked, wrong schema)."""

    exit_code = 6
    http_status = 503
    kind = "store"


class ConflictError(SoundingError):
    """The request contradicts the stored state (already exists, already answered)."""

    exit_code = 7
    http_status = 409
    kind = "conflict"


class RemoteError(SoundingError):
    """A platform or server could not be reached or refused the request (auth, rate limits, down)."""

    exit_code = 8
    http_status = 502
    kind = "remote"


#: exit code of a bug (anything not a SoundingError): EX_SOFTWARE from sysexits.h
INTERNAL_EXIT_CODE = 70

EXIT_CODES = {cls.kind: cls.exit_code for cls in (SoundingError, UsageError, InputError, NotFoundError,
                                                   NotReadyError, StoreError, ConflictError, RemoteError)}
EXIT_CODES["internal"] = INTERNAL_EXIT_CODE


_STORE_STATES = {
    "database is locked": "the store is busy (locked by another process); try again in a moment",
    "readonly database": "the store is read-only here (check the file's permissions)",
    "database or disk is full": "the disk holding the store is full",
    "disk i/o error": "the store's disk failed to read or write",
}


def translate(exc: BaseException) -> SoundingError | None:
    """A SoundingError for a well-known library failure a user can act on (a locked or full store).

    Only the driver's short reason is used, never the statement or its parameters (row values).
    """
    if isinstance(exc, SoundingError):
        return exc
    orig = getattr(exc, "orig", None)
    if orig is None or type(exc).__module__.split(".")[0] != "sqlalchemy":
        return None
    reason = str(orig).strip().lower()
    for state, message in _STORE_STATES.items():
        if state in reason:
            return StoreError(message)
    return None


def error_line(exc: SoundingError) -> str:
    """The one line a user sees: control characters visible, known secrets and URL passwords masked."""
    from sounding.connectors.secrets import REDACTOR
    from sounding.terminal import visible

    return "error: " + visible(REDACTOR.redact(str(exc)), newlines=False)


def log_internal_error(exc: BaseException, argv: list[str] | None = None) -> Path:
    """Append ``exc``'s traceback (secrets redacted) to the error log; returns the log's path.

    The log lives in the data folder (``errors.log``); if that cannot be written, in the temp folder.
    A traceback is for whoever fixes the bug, so it goes to a file, never to a user's terminal.
    """
    import tempfile

    from sounding.config import data_dir
    from sounding.connectors.secrets import REDACTOR

    text = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    entry = f"--- {datetime.now(UTC).isoformat()} {' '.join(argv or [])}\n{text}\n"
    entry = REDACTOR.redact(entry)
    for folder in (data_dir(), Path(tempfile.gettempdir()) / "sounding"):
        path = folder / "errors.log"
        try:
            folder.mkdir(parents=True, exist_ok=True)
            with open(path, "a", encoding="utf-8") as handle:
                handle.write(entry)
            return path
        except OSError:
            continue
    return path


def internal_error_line(exc: BaseException, log_path: Path) -> str:
    return f"internal error: {type(exc).__name__}; details in {log_path}"
