"""Plain-words number formats shared by verdicts and tables ("+18 %", "P(best) 97 %")."""

from __future__ import annotations

import math


def signed_percent(x: float) -> str:
    """A relative change: one decimal below 10 %, none above (+4.3 %, +18 %); never "-0.0 %"."""
    decimals = 1 if abs(x) < 0.1 else 0
    value = round(x * 100, decimals) + 0.0  # + 0.0 turns -0.0 into 0.0
    return f"{value:+.{decimals}f} %"


def probability(p: float) -> str:
    """A probability as a percentage, rounded down so 94.97 % never reads as a 95 % threshold met."""
    if p >= 0.999:
        return ">99.9 %"
    if p >= 0.99:
        return f"{math.floor(p * 1000) / 10:.1f} %"
    if p < 0.01:
        return "<1 %"
    return f"{math.floor(p * 100)} %"


def interval(low: float, high: float) -> str:
    return f"[{signed_percent(low)}, {signed_percent(high)}]"


def compact_lift(lift: float, low: float | None, high: float | None) -> str:
    """Table cell: "+30 % [+1.8, +66]" (interval in percent)."""
    text = signed_percent(lift)
    if low is None or high is None:
        return text
    return f"{text} [{signed_percent(low)[:-2]}, {signed_percent(high)[:-2]}]"


def round_up(n: float) -> int:
    """Round a sample size up to two significant figures: "about 4,800", not "about 4,731"."""
    if n <= 0:
        return 0
    magnitude = 10 ** max(len(str(int(n))) - 2, 0)
    return int(-(-n // magnitude) * magnitude)


def points(x: float) -> str:
    """A difference of two shares in percentage points: "+25 points", "-3.5 points"."""
    decimals = 1 if abs(x) < 0.1 else 0
    value = round(x * 100, decimals) + 0.0
    return f"{value:+.{decimals}f} points"


def points_interval(low: float, high: float) -> str:
    return f"[{points(low)[:-7]}, {points(high)[:-7]}]"
