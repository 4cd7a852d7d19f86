"""Coverage decided by running every encoder input, where a network has few enough.

A network of ``N_0`` inputs, each an encoder input ``X`` in ``0 .. L``
(`model.snn.golden.noise_levels`), has ``(L + 1)^N_0`` inputs in all. Where
the golden model can run every one within `WORK`, the semantic bins
(`model.snn.bins`) they hit are all a design can reach, and the others are
proven unreachable by exhaustion; `model.snn.closure` then picks its vectors
among them. Layer 1 of a direct-coded network is decided the same way on any
number of inputs: a neuron there sees only its current ``C = B + W X``, so
running every current that some ``X`` makes (`direct_currents`) decides its
bins (`direct_layer_one`).
"""

from __future__ import annotations

import numpy as np

from model.snn.bins import bin_name, bound_applicable, distances, kinds_of, lif_flags, universe
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


def semantic_applicable(net: IntNetwork) -> list[str]:
    """The semantic bins ``net`` can reach: those `bound_applicable` leaves and, where the network has few enough
    inputs to run them all (`exhaustible`), some input hits; of a direct-coded layer 1, those some current hits
    (`direct_layer_one`). Every other bin of `universe` is proven unreachable, by the bound or by exhaustion."""
    bound = bound_applicable(net)
    found = hits_of_every_input(net)
    if found is not None:
        reached = {name for name, hit in zip(universe(net.config), found[1].any(axis=0)) if hit}
        return [b for b in bound if b in reached]
    layer_one = direct_layer_one(net)
    if layer_one is None:
        return bound
    return [b for b in bound if not b.startswith("L1 ") or b in layer_one]
