"""Where account secrets live: the system keyring when there is one, else a 0600 file.

The database only ever holds a *reference* (``credential_ref``, e.g. ``keyring:bluesky:brand.bsky.social``
or ``file:mastodon:brand@example.social``); the secret itself is in the OS keyring (service
``sounding``) or in ``secrets.json`` (mode 0600, folder 0700) under the config folder:
``$SOUNDING_CONFIG_DIR``, else ``$SOUNDING_HOME``, else ``$XDG_CONFIG_HOME/sounding``
(``~/.config/sounding``). ``SOUNDING_SECRETS_BACKEND=file|keyring`` forces one.

Every secret read or written is also registered with :data:`REDACTOR`, a logging filter that
replaces it by ``***`` in any log record and in every error line the CLI prints, so a token cannot
leak through an exception message: also in the forms a server echoing the request shows it in
(JSON-escaped, URL-encoded), and any ``user:password@`` in a URL.
"""

from __future__ import annotations

import json
import logging
import os
import re
import tempfile
from pathlib import Path
from urllib.parse import quote, quote_plus, urlsplit, urlunsplit

from sounding.errors import StoreError, UsageError

log = logging.getLogger("sounding.connectors")

SERVICE = "sounding"
MASK = "••••••••"
#: ``scheme://user:password@`` in any text: the password is masked wherever a URL is shown
_URL_PASSWORD = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://[^\s:/@]*):[^\s/@]*@")


def strip_userinfo(url: str) -> tuple[str, str | None]:
    """``url`` without ``user:password@`` (which never goes to the store), and that userinfo."""
    parts = urlsplit(url)
    if "@" not in parts.netloc:
        return url, None
    userinfo, _, host = parts.netloc.rpartition("@")
    return urlunsplit(parts._replace(netloc=host)), userinfo


def _forms(secret: str) -> set[str]:
    """The ways a secret appears in text: as is, JSON-escaped (once, twice), URL-encoded, repr'd."""
    forms = {secret, quote(secret, safe=""), quote_plus(secret), repr(secret)[1:-1]}
    escaped = json.dumps(secret)[1:-1]
    forms |= {escaped, json.dumps(escaped)[1:-1], json.dumps(secret, ensure_ascii=False)[1:-1]}
    return forms


def config_dir() -> Path:
    if value := os.environ.get("SOUNDING_CONFIG_DIR"):
        return Path(value)
    if value := os.environ.get("SOUNDING_HOME"):
        return Path(value)
    base = os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config"
    return Path(base) / "sounding"


class Redactor(logging.Filter):
    """Replaces every known secret by ``***`` in log records (message, args and exception text)."""

    def __init__(self) -> None:
        super().__init__()
        self._secrets: set[str] = set()
        self._pattern: re.Pattern[str] | None = None

    def add(self, secret: str | None) -> None:
        if secret and secret.lstrip().startswith("{"):
            try:  # a JSON bundle (Reddit): every string value in it is secret too
                for value in json.loads(secret).values():
                    if isinstance(value, str):
                        self.add(value)
            except (ValueError, AttributeError):
                pass
        if secret and len(secret) >= 4 and secret not in self._secrets:
            self._secrets |= _forms(secret)
            self._pattern = re.compile(
                "|".join(re.escape(s) for s in sorted(self._secrets, key=len, reverse=True))
            )

    def redact(self, text: str) -> str:
        if not text:
            return text
        text = _URL_PASSWORD.sub(r"\1:***@", text)
        return text if self._pattern is None else self._pattern.sub("***", text)

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = self.redact(record.getMessage())
        record.args = None
        if record.exc_info and record.exc_info[1] is not None:
            exc = record.exc_info[1]
            record.exc_text = self.redact(logging.Formatter().formatException(record.exc_info))
            record.exc_info = None
            del exc
        return True


REDACTOR = Redactor()


def install_redaction(logger: logging.Logger | None = None) -> None:
    """Attach the redactor to a logger's handlers (the root logger by default)."""
    logger = logger or logging.getLogger()
    for handler in logger.handlers:
        if REDACTOR not in handler.filters:
            handler.addFilter(REDACTOR)
    if REDACTOR not in logger.filters:
        logger.addFilter(REDACTOR)


def setup_logging(verbose: bool = False) -> None:
    """Warnings (everything with ``verbose``) to stderr, and everything to ``$SOUNDING_LOG_FILE`` if
    set; secrets redacted in both. Safe to call again (``--verbose`` lowers the level)."""
    import sys

    root = logging.getLogger()
    ours = [h for h in root.handlers if getattr(h, "_sounding", False)]
    if not ours:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
        handler._sounding = "stderr"  # type: ignore[attr-defined]
        root.addHandler(handler)
        ours.append(handler)
        if path := os.environ.get("SOUNDING_LOG_FILE"):
            fh = logging.FileHandler(path)
            fh.setLevel(logging.DEBUG)
            fh.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
            fh._sounding = "file"  # type: ignore[attr-defined]
            root.addHandler(fh)
    level = logging.DEBUG if verbose else logging.WARNING
    for handler in ours:
        if handler._sounding == "stderr":  # type: ignore[attr-defined]
            handler.setLevel(level)
    has_file = any(getattr(h, "_sounding", None) == "file" for h in root.handlers)
    root.setLevel(logging.DEBUG if has_file or verbose else logging.WARNING)
    install_redaction(root)


def _keyring_usable() -> bool:
    try:
        import keyring
        from keyring.backends import fail

        backend = keyring.get_keyring()
        if isinstance(backend, fail.Keyring):
            return False
        chained = getattr(backend, "backends", None)
        if chained is not None and not chained:
            return False
        return backend.priority > 0
    except Exception:  # noqa: BLE001 - any failure means "no keyring here"
        return False


class SecretStore:
    """Get and set secrets by reference."""

    def __init__(self, backend: str | None = None, directory: Path | None = None) -> None:
        wanted = backend or os.environ.get("SOUNDING_SECRETS_BACKEND")
        if wanted not in (None, "", "keyring", "file"):
            raise UsageError(f"unknown secrets backend {wanted!r} (SOUNDING_SECRETS_BACKEND: keyring or file)")
        self.backend = wanted or ("keyring" if _keyring_usable() else "file")
        self.directory = directory or config_dir()

    @property
    def path(self) -> Path:
        return self.directory / "secrets.json"

    # -- file backend ----------------------------------------------------------------------------
    def _read_file(self) -> dict[str, str]:
        try:
            return json.loads(self.path.read_text())
        except FileNotFoundError:
            return {}

    def _write_file(self, data: dict[str, str]) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        os.chmod(self.directory, 0o700)
        fd, tmp = tempfile.mkstemp(dir=self.directory, prefix=".secrets-")
        try:
            os.fchmod(fd, 0o600)
            with os.fdopen(fd, "w") as fh:
                json.dump(data, fh, indent=1, sort_keys=True)
            os.replace(tmp, self.path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        os.chmod(self.path, 0o600)

    # -- API -------------------------------------------------------------------------------------
    def set(self, name: str, secret: str) -> str:
        """Store ``secret`` under ``name``; returns the reference to keep in the database."""
        REDACTOR.add(secret)
        if self.backend == "keyring":
            import keyring

            try:
                keyring.set_password(SERVICE, name, secret)
                return f"keyring:{name}"
            except Exception as exc:  # noqa: BLE001
                log.warning("system keyring unavailable (%s); using %s", type(exc).__name__, self.path)
        data = self._read_file()
        data[name] = secret
        self._write_file(data)
        return f"file:{name}"

    def get(self, ref: str | None) -> str | None:
        if not ref:
            return None
        kind, _, name = ref.partition(":")
        if kind == "keyring":
            import keyring

            secret = keyring.get_password(SERVICE, name)
        elif kind == "file":
            secret = self._read_file().get(name)
        else:
            raise StoreError(f"unknown credential reference {ref!r} in the store")
        REDACTOR.add(secret)
        return secret

    def delete(self, ref: str) -> None:
        kind, _, name = ref.partition(":")
        if kind == "keyring":
            import keyring

            keyring.delete_password(SERVICE, name)
        elif kind == "file":
            data = self._read_file()
            data.pop(name, None)
            self._write_file(data)

    @staticmethod
    def describe(ref: str | None) -> str:
        """The masked secret and where it is, for listings."""
        if not ref:
            return "(none)"
        kind = ref.partition(":")[0]
        return f"{MASK} ({'system keyring' if kind == 'keyring' else 'secrets file'})"
