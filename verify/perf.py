"""The event-driven lower bound on cycles per image, from the golden model's spike counts."""

from __future__ import annotations

import numpy as np

from model.snn.config import SnnConfig


def swept_steps(config: SnnConfig, spikes_in) -> np.ndarray:
    """The steps ``(T,)`` at which a layer whose input trains are ``spikes_in`` ``(T, N)`` sweeps its
    membranes: every step, or only those with input events (`SnnConfig.sweeps_event_steps_only`)."""
    spikes_in = np.asarray(spikes_in)
    if config.sweeps_event_steps_only:
        return spikes_in.any(axis=-1)
    return np.ones(spikes_in.shape[-2], dtype=bool)


def lower_bound_cycles(config: SnnConfig, spikes) -> dict:
    """Cycles an event-driven generator with ``P`` lanes needs at least, layer after layer.

    Layer ``l`` reads ``G_l = ceil(N_l / P)`` weight words per incoming spike,
    sweeps its ``G_l`` membrane words at each swept step (`swept_steps`) and
    passes each other step's marker on in one cycle:
    ``sum_l (E_{l-1} + S_l) * G_l + (T - S_l)`` with ``E_{l-1}`` the spikes
    of layer ``l - 1`` in the image and ``S_l`` the swept steps, from the
    trains ``spikes[l - 1]`` ``(T, N_{l-1})`` (``spikes[0]`` the input). A
    pipelined design overlaps the layers, so it may even beat this sum; the
    busiest layer alone (``slowest_layer``) is the bound for a pipeline.
    A direct-coded layer 1 has no input spikes but reads each input's
    ``G_1`` words once per image for its current: ``E_0 = N_0``.
    """
    T = config.timesteps
    per_layer, events = [], []
    for l in range(1, config.layers + 1):
        e = config.sizes[0] if config.driven(l) else int(np.asarray(spikes[l - 1]).sum())
        swept = int(swept_steps(config, spikes[l - 1]).sum())
        events.append(e)
        per_layer.append((e + swept) * config.groups(l) + T - swept)
    return {"bound": sum(per_layer), "per_layer": per_layer, "events": events, "slowest_layer": max(per_layer)}


def timeout_cycles(config: SnnConfig, bound: int, outputs: int = 0, ready_rate: float = 1.0) -> int:
    """How long a testbench waits for a result: far above any correct run.

    4x the summed lower ``bound`` of `lower_bound_cycles`, slack per step, and
    4 cycles per output event at the consumer's acceptance rate ``ready_rate``
    (a testbench that stalls the output).
    """
    return 4 * bound + 200 * config.timesteps + 10_000 + int(4 * outputs / ready_rate)
