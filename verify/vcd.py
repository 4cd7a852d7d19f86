"""Spike times from a waveform: read the generator's spike-event ports out of a VCD with vcdvcd."""

from __future__ import annotations

from bisect import bisect_right
from pathlib import Path

import numpy as np
from vcdvcd import VCDVCD

from model.common.errors import UserError


def _signal(vcd: VCDVCD, name: str):
    """The one signal whose reference ends in ``name`` (hierarchy and bit range differ by simulator)."""
    hits = [s for s in vcd.signals if s.split(".")[-1].split("[")[0] == name]
    if len(hits) != 1:
        raise UserError(f"VCD has {len(hits)} signals named {name!r}; was it dumped by `python -m verify`?")
    return vcd[hits[0]]


def _value_at(tv: list, times: list, t: int) -> int:
    value = tv[bisect_right(times, t) - 1][1]
    return int(value, 2)


def spike_trains(path, sizes, timesteps: int, layers) -> dict[int, np.ndarray]:
    """Per layer ``l`` in ``layers``: the ``(T, N_l)`` 0/1 spike train recovered from the VCD at ``path``.

    A spike is each change of the port's ``total`` to a non-zero value (it
    counts up by one per spike, on the clock edge that registers ``index`` and
    ``step``); ``index`` and ``step`` are read at that time. The trains of the
    first image are returned: reading stops where ``total`` returns to 0.
    """
    path = Path(path)
    if not path.is_file():
        raise UserError(f"no VCD at {path}")
    vcd = VCDVCD(str(path))
    out = {}
    for l in layers:
        total, index, step = (_signal(vcd, f"probe_spikes{l}__{f}") for f in ("total", "index", "step"))
        i_times, s_times = [t for t, _ in index.tv], [t for t, _ in step.tv]
        trains = np.zeros((timesteps, sizes[l]), dtype=np.uint8)
        previous = 0
        for t, value in total.tv:
            if "x" in value or "z" in value:
                continue
            n = int(value, 2)
            if n == 0:
                if previous:
                    break  # the next image (or the wrapper's end of the dump)
                continue
            if n != previous + 1:
                raise UserError(f"{path}: layer {l} spike count jumps from {previous} to {n} at time {t}")
            previous = n
            trains[_value_at(step.tv, s_times, t), _value_at(index.tv, i_times, t)] = 1
        out[l] = trains
    return out
