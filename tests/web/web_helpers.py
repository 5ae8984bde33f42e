"""The app served by uvicorn on 127.0.0.1 in a thread, for the browser tests.

A module of its own (not conftest.py): ``from conftest import …`` picks whichever folder's conftest
was imported first, so a test file run alone, or with another folder's tests, failed to import.
"""

from __future__ import annotations

import socket
import threading
import time

from sounding.api import Sounding


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Served:
    """An app served by uvicorn in a thread of this process."""

    def __init__(self, app) -> None:
        import uvicorn

        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> Served:
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.05)
        return self

    def __exit__(self, *exc) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


def serve(store: str | Sounding, **kwargs):
    from sounding.web.app import create_app

    return Served(create_app(store if isinstance(store, Sounding) else Sounding(store), **kwargs))
