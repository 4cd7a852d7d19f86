"""Pause and back-pressure patterns: in which cycles a stream source may offer a payload, a sink accepts one, or
a stall input is high. A plan names them by text, so they are parameters of the block tests.

- ``always``: every cycle;
- ``random P``: each cycle with probability ``P`` (``0 < P <= 1``), drawn from a seed;
- ``bursts ON OFF``: ``ON`` cycles yes, then ``OFF`` cycles no, over and over.

Plain Python: the host-side block cases check the names they are given with `Pattern`.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Iterator
from dataclasses import dataclass

USAGE = "'always', 'random P' (0 < P <= 1) or 'bursts ON OFF' (ON >= 1, OFF >= 0 cycles)"


def _valid(kind: str, args: list[str]) -> bool:
    """Whether ``kind`` with ``args`` names a pattern (numbers out of range or not numbers: no)."""
    try:
        if kind == "random" and len(args) == 1:
            return 0 < float(args[0]) <= 1
        if kind == "bursts" and len(args) == 2:
            return int(args[0]) >= 1 and int(args[1]) >= 0
    except ValueError:
        return False
    return kind == "always" and not args


@dataclass(frozen=True)
class Pattern:
    """A named pattern, e.g. ``Pattern("random 0.7")``; raises ``ValueError`` for a name it does not know."""

    spec: str

    def __post_init__(self):
        if not _valid(self.kind, self.args):
            raise ValueError(f"unknown pattern {self.spec!r}: use {USAGE}")

    @property
    def kind(self) -> str:
        return (self.spec.split() or [""])[0]

    @property
    def args(self) -> list[str]:
        return self.spec.split()[1:]

    @property
    def rate(self) -> float:
        """The long-run fraction of cycles the pattern says yes in (for time limits)."""
        if self.kind == "random":
            return float(self.args[0])
        if self.kind == "bursts":
            on, off = map(int, self.args)
            return on / (on + off)
        return 1.0

    def cycles(self, seed: str | int = 0) -> Iterator[bool]:
        """Yes or no for each cycle in turn, endless; ``seed`` picks the ``random`` draws."""
        if self.kind == "random":
            rng, p = random.Random(seed), float(self.args[0])
            return (rng.random() < p for _ in itertools.count())
        if self.kind == "bursts":
            on, off = map(int, self.args)
            return itertools.cycle([True] * on + [False] * off)
        return itertools.repeat(True)


ALWAYS = Pattern("always")
