"""Coverage decided by running every encoder input, where a network has few enough.

A network of ``N_0`` inputs, each an encoder input ``X`` in ``0 .. L``
(`model.snn.golden.noise_levels`), has ``(L + 1)^N_0`` inputs in all. Where
the golden model can run every one within `WORK`, the semantic bins
(`model.snn.bins`) they hit are all a design can reach, and the others are
proven unreachable by exhaustion; `model.snn.closure` then picks its vectors
among them.
"""

from __future__ import annotations

import itertools

import numpy as np

from model.snn.bins import bound_applicable, distances, universe
from model.snn.config import IntNetwork, SnnConfig
from model.snn.golden import noise_levels

WORK = 5e7  # neuron updates of the golden model at most (inputs x T x neurons)
CHUNK = 4096  # inputs run at once


def input_count(config: SnnConfig) -> int:
    """How many encoder inputs ``config``'s network has: ``(L + 1)^N_0``."""
    return (noise_levels(config) + 1) ** config.sizes[0]


def exhaustible(config: SnnConfig) -> bool:
    """Whether running every input of ``config``'s network fits in `WORK`."""
    per_input = config.timesteps * sum(config.sizes[1:])
    return input_count(config) * per_input <= WORK


def every_input(config: SnnConfig) -> np.ndarray:
    """Every encoder input ``X`` of ``config``'s network, ``(count, N_0)``, in lexicographic order."""
    levels = range(noise_levels(config) + 1)
    return np.array(list(itertools.product(levels, repeat=config.sizes[0])), dtype=np.int64).reshape(-1, config.sizes[0])


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


def semantic_applicable(net: IntNetwork) -> list[str]:
    """The semantic bins ``net`` can reach: those `bound_applicable` leaves and, where the network has few enough
    inputs to run them all (`exhaustible`), some input hits. Every other bin of `universe` is proven
    unreachable, by the bound or by exhaustion."""
    bound = bound_applicable(net)
    found = hits_of_every_input(net)
    if found is None:
        return bound
    reached = {name for name, hit in zip(universe(net.config), found[1].any(axis=0)) if hit}
    return [b for b in bound if b in reached]
