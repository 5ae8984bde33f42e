"""A posting schedule that rotates variants through time slots and platforms.

A cyclic Latin square: on day d, slot s, platform p we post variant (d + s + p) mod k. Over any k
consecutive days each variant takes every slot on every platform exactly once, so a good time of
day or a busy platform lifts every variant equally instead of masquerading as a winner.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from sounding.experiments.errors import OptionError


@dataclass(frozen=True, slots=True)
class ScheduledPost:
    day: int
    slot: str
    platform: str
    variant: str


def rotation_schedule(
    variants: Sequence[str],
    slots: Sequence[str],
    platforms: Sequence[str] = ("all",),
    days: int | None = None,
) -> list[ScheduledPost]:
    """Posts for `days` days (default: one full rotation, len(variants) days)."""
    k = len(variants)
    if k < 2:
        raise OptionError(f"need at least two variants, got {k}")
    if not slots or not platforms:
        raise OptionError("need at least one slot and one platform")
    if len(set(variants)) != k:
        raise OptionError("variant names must be unique")
    days = k if days is None else days
    if days < 1:
        raise OptionError(f"days must be at least 1, got {days}")
    return [
        ScheduledPost(day, slot, platform, variants[(day + s + p) % k])
        for day in range(days)
        for s, slot in enumerate(slots)
        for p, platform in enumerate(platforms)
    ]


def balance(schedule: Sequence[ScheduledPost]) -> dict[str, Counter]:
    """How often each variant lands in each slot and on each platform."""
    return {
        "slot": Counter((post.variant, post.slot) for post in schedule),
        "platform": Counter((post.variant, post.platform) for post in schedule),
    }


def is_balanced(schedule: Sequence[ScheduledPost]) -> bool:
    """True when every variant appears equally often in every slot and on every platform."""
    variants = {post.variant for post in schedule}
    for key, counts in balance(schedule).items():
        levels = {getattr(post, key) for post in schedule}
        if len({counts[(v, level)] for v in variants for level in levels}) != 1:
            return False
    return True
