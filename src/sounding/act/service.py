"""``Sounding.act``: decisions, lesson merges, telling people, before/after, opt-outs and erasure.

The CLI (``sounding decide``, ``decisions``, ``lesson``, ``tell``, ``optout``, ``forget``, ``report``) and the
web layer call these methods; each is a thin call into its module.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sounding.act import before_after, decisions, forget, merges, tell
from sounding.store import Store


class Act:
    def __init__(self, store: Store) -> None:
        self.store = store

    # decisions
    def decide(self, title: str, **kwargs: Any) -> dict[str, Any]:
        return decisions.decide(self.store, title, **kwargs)

    def set_status(self, decision: int, status: str, **kwargs: Any) -> dict[str, Any]:
        return decisions.set_status(self.store, decision, status, **kwargs)

    def link(self, decision: int, **kwargs: Any) -> dict[str, Any]:
        return decisions.link(self.store, decision, **kwargs)

    def decision(self, decision: int) -> dict[str, Any]:
        return decisions.get(self.store, decision)

    def decisions(self, status: str | None = None) -> list[dict[str, Any]]:
        return decisions.log(self.store, status)

    def undecided(self, top: int = 10) -> list[dict[str, Any]]:
        return decisions.undecided_lessons(self.store, top)

    # lessons merged by hand (reversible)
    def merge_lesson(self, source: int | str, into: int | str, **kwargs: Any) -> dict[str, Any]:
        return merges.merge(self.store, source, into, **kwargs)

    def unmerge_lesson(self, source: int | str, **kwargs: Any) -> dict[str, Any]:
        return merges.unmerge(self.store, source, **kwargs)

    def lesson_merges(self) -> list[dict[str, Any]]:
        return merges.history(self.store)

    # telling people
    def threads(self, decision: int) -> list[dict[str, Any]]:
        return tell.threads(self.store, decision)

    def draft(self, decision: int, template: str | None = None) -> list[dict[str, Any]]:
        return tell.draft(self.store, decision, template)

    def edit(self, reply: int, text: str) -> dict[str, Any]:
        return tell.edit(self.store, reply, text)

    def replies(self, decision: int | None = None) -> list[dict[str, Any]]:
        return tell.replies(self.store, decision)

    def publish(self, decision: int, confirm: bool = False, pace: float = 1.0, publisher=None) -> list[dict[str, Any]]:
        return tell.publish(self.store, decision, confirm=confirm, pace=pace, publisher=publisher)

    def mark(self, reply: int, status: str) -> None:
        tell.mark(self.store, reply, status)

    def opt_out(self, who: str) -> str:
        return tell.opt_out(self.store, who)

    def opt_in(self, who: str) -> str:
        return tell.opt_in(self.store, who)

    # what changed
    def before_after(self, decision: int, window_days: int = 30, now: datetime | None = None) -> dict[str, Any]:
        return before_after.before_after(self.store, decision, window_days, now)

    def forget(self, who: str) -> dict[str, Any]:
        return forget.forget(self.store, who)
