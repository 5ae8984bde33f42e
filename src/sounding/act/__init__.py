"""Act and tell: decisions from lessons, "you asked, we did" replies, before/after, erasure.

Each module holds one job; :class:`sounding.api.Sounding` delegates to them so the CLI, the REST
API and the pages stay thin.
"""
