"""A NIR graph of Affine/Linear + IF/LIF layers as the project's spiking network.

NIR (the Neuromorphic Intermediate Representation) describes neurons in
continuous time and has no time step or reset-by-subtraction field, so the
discrete reading is fixed here (``docs/nir.md``) and the two open choices are
explicit: from the graph's ``spikegan`` metadata when this project wrote it,
else from the caller (``--dt``, ``--reset``). Per step ``t`` and layer ``l``,
with ``I = W s_{l-1}[t] + b`` (``b = 0`` for ``Linear``):

* IF:  ``v += r I`` (how snnTorch and sinabs step an IF);
* LIF: ``v += (dt / tau) (v_leak - v) + (dt r / tau) I`` (forward Euler), which
  the hardware runs as ``V -= V >> k`` with ``2^-k`` the nearest power of two
  to ``dt / tau`` (the relative error is reported);
* a spike when ``v`` reaches ``v_threshold``, then the reset.

Each neuron's gain (``r`` or ``dt r / tau``) and threshold are folded into its
row of weights (``W_j g_j / theta_j``), so every layer fires at 1 and may then be
quantised like a converted layer. What the hardware cannot run is refused with
the node's name and what to change.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from model.common.errors import UserError
from model.snn.config import RATE_RESETS, IntNetwork, SnnConfig

if TYPE_CHECKING:
    import nir

PROJECT_KEY = "spikegan"  # the graph metadata this project writes (`model.interop.nir_export`)
SYNAPSES = ("Affine", "Linear")
NEURONS = ("IF", "LIF")
PASS_THROUGH = ("Input", "Output", "Flatten")
WHY_NOT = {
    "Conv1d": "convolutions are not supported (the hardware is fully connected): export an MLP of Affine layers",
    "Conv2d": "convolutions are not supported (the hardware is fully connected): export an MLP of Affine layers",
    "SumPool2d": "pooling is not supported: export an MLP of Affine layers",
    "AvgPool2d": "pooling is not supported: export an MLP of Affine layers",
    "CubaLIF": "current-based synapses (CubaLIF) are not supported, the hardware's synapses are instantaneous: use LIF or IF",
    "CubaLI": "current-based synapses are not supported: use LIF or IF",
    "LI": "a leaky integrator does not spike: end every layer with an IF or LIF",
    "I": "an integrator does not spike: end every layer with an IF or LIF",
    "Integrator": "an integrator does not spike: end every layer with an IF or LIF",
    "Scale": "a Scale node is not supported: fold it into the next Affine's weights",
    "Threshold": "a bare Threshold is not supported: use an IF layer",
    "Delay": "delays are not supported: the hardware's synapses act in the same step",
    "NIRGraph": "nested graphs (e.g. snnTorch's recurrent RLeaky) are not supported: feed-forward layers only",
}


@dataclass(frozen=True)
class NirLayer:
    """One synapse + neuron pair: weights and bias per step in units of the neuron's threshold (it fires at 1)."""

    synapse: str  # node names
    neuron: str
    kind: str  # "IF" or "LIF"
    weight: np.ndarray  # (N_out, N_in) float64
    bias: np.ndarray  # (N_out,)
    leak_shift: int | None
    leak_error: float | None  # max relative error of 2^-k against dt / tau
    integers: tuple | None = None  # (W, B, theta) exactly, when this project exported the layer


@dataclass(frozen=True)
class NirNetwork:
    """A feed-forward NIR graph read for the hardware, with where its time step and reset came from."""

    layers: tuple[NirLayer, ...]
    reset: str
    dt: float | None
    notes: tuple[str, ...]  # what was chosen and why, for the user
    config: dict | None = None  # the SnnConfig this project exported it with

    @property
    def sizes(self) -> tuple[int, ...]:
        return (self.layers[0].weight.shape[1],) + tuple(l.weight.shape[0] for l in self.layers)

    @property
    def leak_shift(self) -> int | None:
        return self.layers[0].leak_shift

    def affine_layers(self) -> list[tuple[np.ndarray, np.ndarray]]:
        return [(l.weight, l.bias) for l in self.layers]

    def int_network(self) -> IntNetwork | None:
        """The exact integer network, when the graph is one this project exported (else None: quantise it)."""
        if self.config is None or any(l.integers is None for l in self.layers):
            return None
        config = SnnConfig.from_dict(self.config)
        return IntNetwork(config, [l.integers[0] for l in self.layers], [l.integers[1] for l in self.layers],
                          [l.integers[2] for l in self.layers])


def read(path) -> "nir.NIRGraph":
    """The NIR graph in an HDF5 file, with a clear message when it is missing or not NIR."""
    import nir

    path = Path(path)
    if not path.is_file():
        raise UserError(f"no NIR file at {path}; write one with nir.write (e.g. from snntorch.export_nir)")
    try:
        return nir.read(path, type_check=False)  # from_graph checks the shapes it uses
    except Exception as e:  # h5py and nir raise many kinds; all mean "not a readable NIR graph"
        raise UserError(f"{path} is not a readable NIR graph ({type(e).__name__}: {e}); "
                        "write it with nir.write from nir >= 1.0.6") from None


def chain(graph) -> list[str]:
    """The node names from the input to the output, refusing branches, merges and cycles."""
    nodes, edges = graph.nodes, list(graph.edges)
    for a, b in edges:
        for n in (a, b):
            if n not in nodes:
                raise UserError(f"edge ({a!r}, {b!r}) names node {n!r}, which the graph does not have")
    outs: dict[str, list[str]] = {n: [] for n in nodes}
    ins: dict[str, list[str]] = {n: [] for n in nodes}
    for a, b in edges:
        outs[a].append(b)
        ins[b].append(a)
    for n in nodes:
        if len(ins[n]) > 1:
            raise UserError(f"node {n!r} has {len(ins[n])} inputs ({', '.join(ins[n])}): a recurrent or merging "
                            "connection; the hardware runs a feed-forward chain of layers only")
        if len(outs[n]) > 1:
            raise UserError(f"node {n!r} feeds {len(outs[n])} nodes ({', '.join(outs[n])}): branches are not "
                            "supported; the hardware runs a feed-forward chain of layers only")
    starts = [n for n in nodes if not ins[n]]
    if len(starts) != 1:
        raise UserError(f"the graph must have one input, found {len(starts)} nodes without inputs: {starts}")
    order, n = [], starts[0]
    while True:
        if n in order:
            raise UserError(f"node {n!r} is reached twice: a recurrent connection; feed-forward graphs only")
        order.append(n)
        if not outs[n]:
            break
        n = outs[n][0]
    if len(order) != len(nodes):
        rest = sorted(set(nodes) - set(order))
        raise UserError(f"nodes {rest} are not on the path from {starts[0]!r} to the output: a recurrent or "
                        "disconnected part; feed-forward graphs only")
    return order


def _vector(node_name: str, node, attr: str, n: int) -> np.ndarray:
    v = np.asarray(getattr(node, attr), dtype=np.float64).reshape(-1)
    if v.size == 1:
        v = np.full(n, float(v[0]))
    if v.shape != (n,) or not np.all(np.isfinite(v)):
        raise UserError(f"node {node_name!r}: {attr} must be finite, one value or one per neuron ({n}), got shape "
                        f"{np.shape(getattr(node, attr))}")
    return v


def _synapse(name: str, node) -> tuple[np.ndarray, np.ndarray]:
    w = np.asarray(node.weight, dtype=np.float64)
    if w.ndim != 2 or not np.all(np.isfinite(w)):
        raise UserError(f"node {name!r}: weight must be a finite (out, in) matrix, got shape {w.shape}")
    b = np.zeros(w.shape[0]) if type(node).__name__ == "Linear" else np.asarray(node.bias, dtype=np.float64).reshape(-1)
    if b.shape != (w.shape[0],) or not np.all(np.isfinite(b)):
        raise UserError(f"node {name!r}: bias must have {w.shape[0]} finite values, got shape {b.shape}")
    return w, b


def _leak(name: str, node, n: int, dt: float | None) -> tuple[np.ndarray, int, float]:
    """The LIF's input gain ``dt r / tau``, the nearest leak shift ``k`` (``2^-k ~ dt / tau``) and its error."""
    if dt is None:
        raise UserError(f"node {name!r} is an LIF, whose leak depends on the time step, and the graph names none: "
                        "pass --dt (snnTorch exports use dt = 1e-4)")
    tau, r = _vector(name, node, "tau", n), _vector(name, node, "r", n)
    if np.any(_vector(name, node, "v_leak", n) != 0):
        raise UserError(f"node {name!r}: v_leak must be 0, the hardware's membrane leaks towards 0")
    if np.any(tau <= 0):
        raise UserError(f"node {name!r}: tau must be positive")
    decay = dt / tau
    shifts = np.rint(-np.log2(decay)).astype(int)
    if len(set(shifts.tolist())) != 1:
        raise UserError(f"node {name!r}: dt/tau maps to leak shifts {sorted(set(shifts.tolist()))}; the hardware has "
                        "one leak shift for the network: give every neuron the same tau")
    k = int(shifts[0])
    if k < 1:
        raise UserError(f"node {name!r}: dt/tau = {decay.max():.3g} decays faster than V >> 1; use a larger tau or a smaller --dt")
    return r * decay, k, float(np.max(np.abs(2.0 ** -k - decay) / decay))


def _threshold(name: str, node, n: int) -> np.ndarray:
    theta = _vector(name, node, "v_threshold", n)
    if np.any(theta <= 0):
        raise UserError(f"node {name!r}: v_threshold must be positive, found {theta.min():g}")
    return theta


def _check_reset(name: str, node, n: int, reset: str) -> None:
    if reset == "zero" and hasattr(node, "v_reset") and np.any(_vector(name, node, "v_reset", n) != 0):
        raise UserError(f"node {name!r}: v_reset must be 0 for reset 'zero' (the hardware resets to 0), "
                        "or pass --reset subtract")


def _integers(w, b, theta) -> tuple | None:
    """The layer's exact integers when every value is one and the threshold is shared (this project's export)."""
    if not (np.all(w == np.rint(w)) and np.all(b == np.rint(b)) and np.all(theta == theta[0]) and theta[0] == int(theta[0])):
        return None
    return w.astype(np.int64), b.astype(np.int64), int(theta[0])


def layer(names: tuple[str, str], synapse, neuron, reset: str, dt: float | None, exact: bool) -> NirLayer:
    """One Affine/Linear + IF/LIF pair, folded to threshold 1."""
    w, b = _synapse(names[0], synapse)
    n, kind = w.shape[0], type(neuron).__name__
    theta = _threshold(names[1], neuron, n)
    _check_reset(names[1], neuron, n, reset)
    if kind == "IF":
        gain, k, err = _vector(names[1], neuron, "r", n), None, None
    else:
        gain, k, err = _leak(names[1], neuron, n, dt)
    if np.any(gain <= 0):
        raise UserError(f"node {names[1]!r}: its input gain (r, or dt r / tau) must be positive")
    scale = (gain / theta)[:, None]
    ints = _integers(w, b, theta) if exact and np.allclose(gain, 1.0, rtol=1e-9, atol=0.0) else None
    return NirLayer(names[0], names[1], kind, w * scale, b * scale[:, 0], k, err, ints)


def _pairs(graph, order: list[str]) -> list[tuple[str, str]]:
    """The (synapse, neuron) node pairs along the chain; anything else named and refused."""
    pairs, pending = [], None
    for name in order:
        kind = type(graph.nodes[name]).__name__
        if kind in PASS_THROUGH:
            continue
        if kind in SYNAPSES:
            if pending is not None:
                raise UserError(f"node {name!r} follows the weights {pending!r} with no neuron between them: "
                                "multiply the two matrices into one Affine")
            pending = name
        elif kind in NEURONS:
            if pending is None:
                raise UserError(f"neuron node {name!r} has no Affine or Linear before it: every layer is weights + neurons")
            pairs.append((pending, name))
            pending = None
        else:
            why = WHY_NOT.get(kind, f"supported nodes are {', '.join(SYNAPSES + NEURONS + PASS_THROUGH)}")
            raise UserError(f"node {name!r} ({kind}): {why}")
    if pending is not None:
        raise UserError(f"the graph ends with the weights {pending!r}: end it with an IF or LIF layer")
    if not pairs:
        raise UserError("the graph has no Affine/Linear + IF/LIF layer")
    return pairs


def _choice(meta: dict, key: str, given, default, what: str) -> tuple[object, str]:
    if given is not None:
        return given, f"{what} {given} (from the command line)"
    if key in meta:
        return meta[key], f"{what} {meta[key]} (from the graph's {PROJECT_KEY} metadata)"
    return default, f"{what} {default} (the default: the graph's metadata does not name one)"


def from_graph(graph, dt: float | None = None, reset: str | None = None) -> NirNetwork:
    """Read ``graph`` for the hardware; ``dt`` / ``reset`` override the graph's ``spikegan`` metadata."""
    meta = dict(getattr(graph, "metadata", {}) or {}).get(PROJECT_KEY, {}) or {}
    if isinstance(meta, (str, bytes)):
        try:
            meta = json.loads(meta)
        except ValueError as e:
            raise UserError(f"the graph's {PROJECT_KEY!r} metadata is not valid JSON ({e}); re-export it") from None
    if not isinstance(meta, dict):
        raise UserError(f"the graph's {PROJECT_KEY!r} metadata must be a mapping, got {type(meta).__name__}")
    config = meta.get("config")
    reset, reset_note = _choice(config or {}, "reset", reset, SnnConfig().reset, "reset")
    if reset not in RATE_RESETS:
        raise UserError(f"reset must be one of {RATE_RESETS}, got {reset!r}")
    dt, dt_note = _choice(meta, "dt", dt, None, "dt")
    if dt is not None and not (isinstance(dt, (int, float)) and math.isfinite(dt) and dt > 0):
        raise UserError(f"dt must be a positive number of seconds, got {dt!r}")
    order = chain(graph)
    exact = config is not None
    layers = tuple(layer(p, graph.nodes[p[0]], graph.nodes[p[1]], reset, dt, exact) for p in _pairs(graph, order))
    for a, b in zip(layers, layers[1:]):
        if b.weight.shape[1] != a.weight.shape[0]:
            raise UserError(f"node {b.synapse!r} takes {b.weight.shape[1]} inputs but {a.neuron!r} has {a.weight.shape[0]} neurons")
    if len({l.leak_shift for l in layers}) > 1:
        mixed = ", ".join(f"{l.neuron} ({l.kind}, k={l.leak_shift})" for l in layers)
        raise UserError(f"the hardware has one leak for the whole network, the layers differ: {mixed}; "
                        "make them all IF or give every LIF the same tau")
    notes = [reset_note, dt_note]
    if layers[0].leak_error is not None:
        notes.append(f"leak V -= V >> {layers[0].leak_shift}: dt/tau within {max(l.leak_error for l in layers):.2%} of 2^-k")
    return NirNetwork(layers, reset, dt, tuple(notes), config)
