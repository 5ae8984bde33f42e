"""Sounding: learn from what your audience tells you, not from how many of them there are."""

from sounding.api import Sounding

__all__ = ["Sounding"]
__version__ = "0.1.0"
