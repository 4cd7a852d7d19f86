"""Coverage decided by running every encoder input, where a network has few enough.

A network of ``N_0`` inputs, each an encoder input ``X`` in ``0 .. L``
(`model.snn.golden.noise_levels`), has ``(L + 1)^N_0`` inputs in all. Where
the golden model can run every one within `WORK`, the semantic bins
(`model.snn.bins`) they hit are all a design can reach, and the others are
proven unreachable by exhaustion; `model.snn.closure` then picks its vectors
among them. Layer 1 of a direct-coded network is decided the same way on any
number of inputs: a neuron there sees only its current ``C = B + W X``, so
running every current that some ``X`` makes (`direct_currents`) decides its
bins (`direct_layer_one`). Above a narrow LIF layer, running every spike train
that layer could send (`narrow_layer_trains`: at most one spike per neuron in
a TTFS layer) bounds the layers after it: a bin none of those trains reaches is
unreachable, since the trains any input makes are among them.
"""

from __future__ import annotations

import numpy as np

from model.snn.bins import bin_name, bins_of, bound_applicable, distances, kinds_of, lif_flags, universe
from model.snn.config import IntNetwork, SnnConfig
from model.snn.golden import noise_levels, run_layer

WORK = 5e7  # neuron updates of the golden model at most (inputs x `image_work`)
CURRENTS = 1 << 24  # distinct currents of a direct-coded layer 1 at most, run at once in chunks of CHUNK x 64
CHUNK = 4096  # inputs run at once


def input_count(config: SnnConfig) -> int:
    """How many encoder inputs ``config``'s network has: ``(L + 1)^N_0``."""
    return (noise_levels(config) + 1) ** config.sizes[0]


def image_work(config: SnnConfig) -> int:
    """The golden model's neuron updates for one input of ``config``'s network: each neuron at each step, or
    for a ramp network each neuron once (its membrane at the end of its window)."""
    return sum(config.sizes[1:]) * (1 if config.neuron == "ramp" else config.timesteps)


def exhaustible(config: SnnConfig) -> bool:
    """Whether running every input of ``config``'s network fits in `WORK`."""
    return input_count(config) * image_work(config) <= WORK


def every_input(config: SnnConfig) -> np.ndarray:
    """Every encoder input ``X`` of ``config``'s network, ``(count, N_0)``, in lexicographic order."""
    base, n = noise_levels(config) + 1, config.sizes[0]
    index = np.arange(input_count(config), dtype=np.int64)[:, None]
    return index // base ** np.arange(n - 1, -1, -1, dtype=np.int64) % base


def hits_of_every_input(net: IntNetwork) -> tuple[np.ndarray, np.ndarray] | None:
    """``(X, hits)``: every input and, per input, which bins of `model.snn.bins.universe` its golden run hits;
    None where the network is not `exhaustible`."""
    if not exhaustible(net.config):
        return None
    x = every_input(net.config)
    hits = np.concatenate([distances(net, x[i:i + CHUNK]) == 0 for i in range(0, len(x), CHUNK)])
    return x, hits


def noise_of(config: SnnConfig, x: np.ndarray) -> np.ndarray:
    """Noise ``u`` in [0, 1] that `model.snn.golden.encode_noise` turns into the encoder inputs ``x``."""
    levels = noise_levels(config)
    x = np.asarray(x, dtype=np.float64)
    return (levels - x) / levels if config.neuron == "ramp" else x / levels


def direct_currents(w, b: int, levels: int) -> tuple[int, int]:
    """Every current ``b + w . x`` with each ``x_i`` in ``0 .. levels``, as ``(bits, offset)``: current ``c`` is
    made exactly where bit ``c - offset`` of ``bits`` is set (a bounded knapsack, each weight's multiplicity split
    into powers of two)."""
    w = [int(v) for v in w]
    offset = b + levels * sum(v for v in w if v < 0)
    bits = 1 << (b - offset)
    for v in w:
        left, k = levels, 1
        while left:
            take = min(k, left)
            shift = take * v
            bits |= bits << shift if shift > 0 else bits >> -shift
            left, k = left - take, 2 * k
    return bits, offset


def _current_bins(net: IntNetwork, currents: np.ndarray) -> dict[str, np.ndarray]:
    """Per LIF bin kind of ``net``, which of layer 1's ``currents`` put a neuron in it over the ``T`` steps
    (`model.snn.bins.lif_flags`)."""
    c = net.config
    out = {k: np.zeros(len(currents), dtype=bool) for k in kinds_of(c)}
    th = int(net.thresholds[0])
    for i in range(0, len(currents), CHUNK * 64):
        part = currents[i:i + CHUNK * 64, None]
        _, tr = run_layer(np.zeros((1, 1)), part, th, c, np.zeros((len(part), c.timesteps, 1), np.uint8), True)
        flags = lif_flags(tr, th)
        for k in out:
            out[k][i:i + len(part)] = flags[k][:, 0]
    return out


def direct_layer_one(net: IntNetwork) -> set[str] | None:
    """The bins of layer 1 of a direct-coded network that some input reaches: every current each neuron can be
    given (`direct_currents`) run through the layer; None where the network is not direct-coded or its currents
    span more than `CURRENTS` values."""
    c = net.config
    if not c.direct:
        return None
    made = [direct_currents(w, int(b), noise_levels(c)) for w, b in zip(net.weights[0], net.biases[0])]
    lo = min(offset for _, offset in made)
    hi = max(offset + bits.bit_length() - 1 for bits, offset in made)
    if hi - lo + 1 > CURRENTS:
        return None
    flags = _current_bins(net, np.arange(lo, hi + 1, dtype=np.int64))
    reached = set()
    for j, (bits, offset) in enumerate(made):
        mask = np.unpackbits(np.frombuffer(bits.to_bytes((bits.bit_length() + 7) // 8, "little"), np.uint8),
                             bitorder="little")[:bits.bit_length()].astype(bool)
        at = slice(offset - lo, offset - lo + len(mask))
        reached |= {bin_name(1, j % c.lanes, k) for k, hit in flags.items() if (hit[at] & mask).any()}
    return reached


def train_count(config: SnnConfig, layer: int) -> int:
    """How many spike trains LIF layer ``layer`` could send: any of its ``T`` steps or none per neuron of a TTFS
    layer, any raster of a rate layer."""
    t, n = config.timesteps, config.sizes[layer]
    return (t + 1) ** n if config.neuron == "ttfs" else 2 ** (n * t)


def narrow_layer_trains(config: SnnConfig, layer: int, index: np.ndarray) -> np.ndarray:
    """Trains ``index`` (each in ``0 .. train_count - 1``) of LIF layer ``layer``, ``(len(index), T, N)``."""
    t, n = config.timesteps, config.sizes[layer]
    index = np.asarray(index, dtype=np.int64)[:, None]
    if config.neuron == "ttfs":
        times = index // (t + 1) ** np.arange(n, dtype=np.int64) % (t + 1)  # t: no spike
        return (times[:, None, :] == np.arange(t)[None, :, None]).astype(np.uint8)
    return (index >> np.arange(n * t, dtype=np.int64) & 1).reshape(-1, t, n).astype(np.uint8)


def above_narrow_layer(net: IntNetwork, layer: int) -> set[str] | None:
    """The bins of the layers after LIF layer ``layer`` that some train it could send reaches
    (`narrow_layer_trains`: a superset of those any input reaches); None where running them all would pass
    `WORK`."""
    c = net.config
    count = train_count(c, layer)
    if count * c.timesteps * sum(c.sizes[layer + 1:]) > WORK:
        return None
    reached = set()
    for first in range(0, count, CHUNK * 16):
        spikes = narrow_layer_trains(c, layer, np.arange(first, min(count, first + CHUNK * 16)))
        for l in range(layer + 1, c.layers + 1):
            th = int(net.thresholds[l - 1])
            spikes, tr = run_layer(net.weights[l - 1], net.biases[l - 1], th, c, spikes, True)
            for what, flags in lif_flags(tr, th).items():
                lanes = np.flatnonzero(flags.any(axis=0)) % c.lanes
                reached |= {bin_name(l, int(p), what) for p in np.unique(lanes)}
    return reached


def semantic_applicable(net: IntNetwork, every=None) -> list[str]:
    """The semantic bins ``net`` can reach: those `bound_applicable` leaves and, where the network has few enough
    inputs to run them all (`exhaustible`), some input hits; of a direct-coded layer 1, those some current hits
    (`direct_layer_one`); above a narrow layer, those some train it could send hits (`above_narrow_layer`). Every
    other bin of `universe` is proven unreachable, by the bound or by exhaustion. ``every``: `hits_of_every_input`
    of ``net``, where the caller has run it already."""
    bound = bound_applicable(net)
    found = hits_of_every_input(net) if every is None else every
    if found is not None:
        reached = {name for name, hit in zip(universe(net.config), found[1].any(axis=0)) if hit}
        return [b for b in bound if b in reached]
    layer_of = {bin_name(*b): b[0] for b in bins_of(net.config)}
    layer_one = direct_layer_one(net)
    if layer_one is not None:
        bound = [b for b in bound if layer_of[b] > 1 or b in layer_one]
    for layer in range(1, net.config.layers if net.config.neuron != "ramp" else 1):
        above = above_narrow_layer(net, layer)
        if above is not None:
            bound = [b for b in bound if layer_of[b] <= layer or b in above]
    return bound
