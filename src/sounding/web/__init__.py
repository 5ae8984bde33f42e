"""The dashboard and REST API of ``sounding serve`` (FastAPI + Jinja2); see docs/web.md."""
