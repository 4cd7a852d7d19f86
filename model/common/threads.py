"""Torch on one CPU thread for a block: small networks run fastest that way, the results are the same on any
machine, and the work does not slow down many times when other processes hold the cores."""

from __future__ import annotations

from contextlib import contextmanager

import torch


@contextmanager
def one_thread():
    """Run the block with ``torch.set_num_threads(1)``; the thread count before is restored after."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)
