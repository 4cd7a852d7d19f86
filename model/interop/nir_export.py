"""The project's integer network as a NIR graph: Affine + IF (or LIF) per layer, the rest in metadata.

The weights, biases and thresholds are the integers the hardware runs, so a
NIR back-end that steps the graph as ``docs/nir.md`` reads it sees the same
network; what NIR cannot say (the time step, reset by subtraction, the input
coding, bit widths, lanes) goes into the graph's ``spikegan`` metadata as one
JSON string, from which `model.interop.nir_import` rebuilds the identical network.
An LIF is written for the time step ``dt``: ``tau = 2^k dt`` and ``r = 2^k``,
so that ``dt / tau = 2^-k`` and its input gain ``dt r / tau`` is 1.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from model.common.errors import UserError
from model.interop.nir_import import PROJECT_KEY
from model.snn.config import IntNetwork

DT = 1e-4  # seconds per step: snnTorch's fixed NIR time step, so its importer reads the leak right


def to_graph(net: IntNetwork, dt: float = DT, extra: dict | None = None):
    """``net`` as a ``nir.NIRGraph`` (``extra``: JSON-serialisable, stored beside the configuration)."""
    import nir

    c = net.config
    if c.neuron != "rate":
        raise UserError(f"a {c.neuron} network has no NIR neuron model (NIR's IF and LIF fire more than once): "
                        "only rate networks are exported to NIR")
    if not dt > 0:
        raise UserError(f"dt must be positive, got {dt}")
    nodes, edges, prev = {"input": nir.Input(input_type=np.array([c.sizes[0]]))}, [], "input"
    for l, (w, b, theta) in enumerate(zip(net.weights, net.biases, net.thresholds), start=1):
        n = c.sizes[l]
        nodes[f"fc{l}"] = nir.Affine(weight=np.asarray(w, dtype=np.float64), bias=np.asarray(b, dtype=np.float64))
        threshold, zeros = np.full(n, float(theta)), np.zeros(n)
        if c.leak_shift is None:
            nodes[f"lif{l}"] = nir.IF(r=np.ones(n), v_threshold=threshold, v_reset=zeros)
        else:
            g = float(2 ** c.leak_shift)
            nodes[f"lif{l}"] = nir.LIF(tau=np.full(n, g * dt), r=np.full(n, g), v_leak=zeros, v_threshold=threshold,
                                       v_reset=zeros)
        edges += [(prev, f"fc{l}"), (f"fc{l}", f"lif{l}")]
        prev = f"lif{l}"
    nodes["output"] = nir.Output(output_type=np.array([c.sizes[-1]]))
    edges.append((prev, "output"))
    meta = {"config": c.to_dict(), "dt": dt, "semantics": "docs/hardware-semantics.md, docs/nir.md",
            "extra": extra or {}}
    return nir.NIRGraph(nodes=nodes, edges=edges, metadata={PROJECT_KEY: json.dumps(meta)})


def write(net: IntNetwork, path, dt: float = DT, extra: dict | None = None) -> Path:
    """Write ``net`` as a NIR (HDF5) file; returns its path."""
    import nir

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    nir.write(path, to_graph(net, dt, extra))
    return path
