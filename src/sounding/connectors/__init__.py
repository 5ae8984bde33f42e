"""Platform connectors: they produce :mod:`sounding.records`, the store writes them.

See :mod:`sounding.connectors.base` for the interface and registry, :mod:`sounding.connectors.sync`
for running one into a store, and ``docs/connectors.md``.
"""

from sounding.connectors.base import (
    AccountRef,
    Connector,
    FetchedPost,
    PollItem,
    PostItem,
    PublishItem,
    PublishNotSupported,
    ReplyItem,
    ThreadedConnector,
    available,
    get_connector_class,
    open_connector,
    register,
)
from sounding.connectors.retry import AuthError, ConnectorError, RetryPolicy, SyncInterrupted, Transient

__all__ = [
    "AccountRef",
    "AuthError",
    "Connector",
    "ConnectorError",
    "FetchedPost",
    "PollItem",
    "PostItem",
    "PublishItem",
    "PublishNotSupported",
    "ReplyItem",
    "RetryPolicy",
    "SyncInterrupted",
    "ThreadedConnector",
    "Transient",
    "available",
    "get_connector_class",
    "open_connector",
    "register",
]
