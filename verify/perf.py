"""The event-driven lower bound on cycles per image, from the golden model's spike counts."""

from __future__ import annotations

from model.snn_config import SnnConfig


def lower_bound_cycles(config: SnnConfig, counts) -> dict:
    """Cycles an event-driven generator with ``P`` lanes needs at least, layer after layer.

    Layer ``l`` reads ``G_l = ceil(N_l / P)`` weight words per incoming spike
    and sweeps its ``G_l`` membrane words once per step:
    ``sum_l (E_{l-1} + T) * G_l`` with ``E_{l-1}`` the spikes of layer ``l - 1``
    in the image (``counts[l - 1].sum()``, ``counts[0]`` the input). A
    pipelined design overlaps the layers, so it may even beat this sum; the
    busiest layer alone (``slowest_layer``) is the bound for a pipeline.
    """
    T = config.timesteps
    per_layer, events = [], []
    for l in range(1, config.layers + 1):
        e = int(counts[l - 1].sum())
        events.append(e)
        per_layer.append((e + T) * config.groups(l))
    return {"bound": sum(per_layer), "per_layer": per_layer, "events": events, "slowest_layer": max(per_layer)}


def timeout_cycles(config: SnnConfig, bound: int, outputs: int = 0, ready_rate: float = 1.0) -> int:
    """How long a testbench waits for a result: far above any correct run.

    4x the summed lower ``bound`` of `lower_bound_cycles`, slack per step, and
    4 cycles per output event at the consumer's acceptance rate ``ready_rate``
    (a testbench that stalls the output).
    """
    return 4 * bound + 200 * config.timesteps + 10_000 + int(4 * outputs / ready_rate)
