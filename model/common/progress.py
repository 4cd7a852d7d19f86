"""Progress bars: tqdm, throttled when nobody watches a terminal.

On a terminal a bar redraws up to ten times a second; into a log file or CI
output every redraw is kept, so there it redraws at most every 30 seconds.
"""

from __future__ import annotations

import sys

from tqdm import tqdm

LOG_INTERVAL_S = 30.0


def progress_bar(iterable=None, **kwargs) -> tqdm:
    """``tqdm(iterable, **kwargs)``, redrawing every 30 s (``mininterval`` and tqdm's forced-redraw
    ``maxinterval``) when stderr is not a terminal."""
    if not sys.stderr.isatty():
        kwargs.setdefault("mininterval", LOG_INTERVAL_S)
        kwargs.setdefault("maxinterval", LOG_INTERVAL_S)
    return tqdm(iterable, **kwargs)


def with_progress(total: int, desc: str, unit: str, work):
    """``work(report)``, where ``report(done)`` moves a bar of ``total`` items to ``done``; returns its result."""
    bar = progress_bar(total=total, desc=desc, unit=unit)
    try:
        return work(lambda done: bar.update(done - bar.n))
    finally:
        bar.close()
