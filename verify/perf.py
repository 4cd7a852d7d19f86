"""Cycles per image from the golden model's spike trains: each layer's own work, the lower bound the pipelined
generator can never beat, the serial sum of the layers, and the testbenches' time-outs."""

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


def input_events(config: SnnConfig, layer: int, spikes_in) -> np.ndarray:
    """The events layer ``layer`` reads weight rows for, per step ``(T,)``: its input spikes, or for a
    direct-coded layer 1 its ``N_0`` inputs, read once before step 0 to make its current."""
    spikes_in = np.asarray(spikes_in)
    if config.driven(layer):
        events = np.zeros(spikes_in.shape[-2], dtype=np.int64)
        events[0] = config.sizes[0]
        return events
    return spikes_in.sum(axis=-1).astype(np.int64)


def source_cycles(config: SnnConfig, encode: int) -> int:
    """Cycles the rate encoder (``encode = 1``) needs to make an image's input words: ``N_0 + 1`` per step,
    one after another. Other sources count 0: leaving a stage out keeps a lower bound a lower bound, and they are
    seldom slower than layer 1."""
    return config.timesteps * (config.sizes[0] + 1) if encode and config.coding in ("bernoulli", "stratified") else 0


def cycle_budget(config: SnnConfig, spikes, encode: int = 0, design: str = "snn") -> dict:
    """The cycles each layer needs for one image, and what they imply for the whole generator.

    Layer ``l`` has one issue slot a cycle (`docs/hardware-architecture.md`, cycle budget): ``G_l`` slots per
    input event, ``G_l`` per swept step, one per other step's marker, so its work is
    ``W_l = (E_{l-1} + S_l) * G_l + (T - S_l)`` (``spikes[l - 1]`` ``(T, N_{l-1})`` are its input trains,
    ``spikes[0]`` the input; `input_events`, `swept_steps`).

    - ``lower_bound``: cycles the generator can never beat. Layer ``l`` gets its first event only after every
      layer ``k < l`` has taken its step-0 events and issued a slot of its step-0 sweep
      (``E_{k-1}(0) * G_k + 1``), and after its last slot every later layer ``k`` still gets the last marker and
      sweeps step ``T - 1`` (``G_k`` slots, or one if it does not sweep there); the bound is the largest
      ``head_l + W_l + tail_l``, or the rate encoder's work (`source_cycles`) and every layer's tail where
      that is larger. Pipeline latencies come on top.
    - ``serial_sum``: ``sum_l W_l``, what the layers need one after another. Not a bound: the layers overlap,
      so a generator usually needs fewer cycles.
    - ``busiest_layer``: ``max_l W_l``.

    ``design``: an ANN twin's budget instead (`_ann_budget`).
    """
    if design != "snn":
        return _ann_budget(config, spikes, dense=design == "ann-dense")
    if config.neuron == "ramp":
        return _ramp_budget(config, spikes)
    T = config.timesteps
    per_layer, events, heads, tails = [], [], [], []
    for l in range(1, config.layers + 1):
        e = input_events(config, l, spikes[l - 1])
        swept = swept_steps(config, spikes[l - 1])
        g = config.groups(l)
        events.append(int(e.sum()))
        per_layer.append((int(e.sum()) + int(swept.sum())) * g + T - int(swept.sum()))
        heads.append(int(e[0]) * g + 1)
        tails.append(g if swept[-1] else 1)
    paths = [source_cycles(config, encode) + sum(tails)]
    paths += [sum(heads[:k]) + w + sum(tails[k + 1:]) for k, w in enumerate(per_layer)]
    return {"lower_bound": max(paths), "serial_sum": sum(per_layer), "busiest_layer": max(per_layer),
            "per_layer": per_layer, "events": events}


def _ramp_budget(config: SnnConfig, spikes) -> dict:
    """`cycle_budget` of a ramp network (docs/exact-ttfs-semantics.md): layer ``l`` integrates window ``l - 1``
    in ``(E_{l-1} + T) G_l`` slots and fires window ``l`` in ``T G_l``, so ``W_l = (E_{l-1} + 2T) G_l``. The
    windows of one image follow each other (a layer fires only after its input's last marker), and within
    window ``l`` layer ``l + 1`` cannot take an event before layer ``l`` made it: the lower bound is the sum over
    the windows of the larger of the two layers' work in it."""
    T, L = config.timesteps, config.layers
    events = [int(np.asarray(spikes[l - 1]).sum()) for l in range(1, L + 1)]
    g = [config.groups(l) for l in range(1, L + 1)]
    integrate = [(e + T) * gl for e, gl in zip(events, g)]
    fire = [T * gl for gl in g]
    windows = [integrate[0]] + [max(fire[k], integrate[k + 1]) for k in range(L - 1)] + [fire[-1]]
    per_layer = [i + f for i, f in zip(integrate, fire)]
    return {"lower_bound": sum(windows), "serial_sum": sum(per_layer), "busiest_layer": max(per_layer),
            "per_layer": per_layer, "events": events}


def _ann_budget(config: SnnConfig, spikes, dense: bool) -> dict:
    """`cycle_budget` of the ANN twin (`hw.ann_twin`) of a ramp network whose golden spike trains are ``spikes``:
    layer ``l`` takes ``G_l`` slots per input activation it is sent (all ``N_{l-1}`` when ``dense``, else the
    non-zero ones, the input spikes ``E_{l-1}``), one for the marker and ``G_l`` for its read-out:
    ``W_l = E_{l-1} G_l + 1 + G_l``. A layer's first activation comes after the layer before it has taken its
    last one, so no two layers accumulate at once: the lower bound is ``sum_l E_{l-1} G_l`` plus the last
    layer's read-out ``G_L``."""
    L = config.layers
    sent = [config.sizes[l - 1] if dense else int(np.asarray(spikes[l - 1]).sum()) for l in range(1, L + 1)]
    g = [config.groups(l) for l in range(1, L + 1)]
    per_layer = [e * gl + 1 + gl for e, gl in zip(sent, g)]
    return {"lower_bound": sum(e * gl for e, gl in zip(sent, g)) + g[-1], "serial_sum": sum(per_layer),
            "busiest_layer": max(per_layer), "per_layer": per_layer, "events": sent}


def below_bound(images: list[dict]) -> str | None:
    """The first of a testbench's ``images`` that took fewer cycles than its lower bound, which no run can beat
    (then the bound or the RTL's timing is wrong), in words; None if there is none."""
    for im in images:
        if im["cycles"] < im["cycle_budget"]["lower_bound"]:
            return (f"vector {im['vector']} (encode={im['encode']}) took {im['cycles']} cycles, below its lower bound "
                    f"{im['cycle_budget']['lower_bound']} (verify.perf.cycle_budget)")
    return None


def timeout_cycles(config: SnnConfig, serial_sum: int, outputs: int = 0, ready_rate: float = 1.0) -> int:
    """How long a testbench waits for a result: far above any correct run.

    4x the ``serial_sum`` of `cycle_budget` (the layers one after another), slack per step, and
    4 cycles per output event at the consumer's acceptance rate ``ready_rate``
    (a testbench that stalls the output).
    """
    return 4 * serial_sum + 200 * config.timesteps + 10_000 + int(4 * outputs / ready_rate)
