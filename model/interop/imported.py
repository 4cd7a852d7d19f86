"""Bring your own network: a NIR graph or a PyTorch MLP as the project's integer network, then its export.

A NIR graph is already spiking: its layers (folded to threshold 1 by
`model.interop.nir_import`) are quantised as they are, or taken exactly when this
project exported them. A PyTorch MLP is an ANN: it goes through the same
conversion as the project's generator (`model.convert.conversion`). Either way the result
is an `IntNetwork` that `model.snn.export.export_network` writes like any other, so
``spikegan rtl`` and ``spikegan verify`` take it unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from model.interop import nir_import

from model.common.errors import UserError
from model.convert.conversion import ConvertOptions, check_layers, convert, quantise
from model.interop import torch_import
from model.snn.config import IntNetwork, SnnConfig


@dataclass(frozen=True)
class Imported:
    """An imported network: the integers the hardware runs and how they were made (``source``, for the manifest)."""

    net: IntNetwork
    source: dict
    notes: tuple[str, ...] = ()

    @property
    def config(self) -> SnnConfig:
        return self.net.config

    def export(self, out_dir, inputs, directed: bool = True):
        """Export with the test inputs ``inputs`` ``(n, N_0)`` in [0, 1] (and, ``directed``, the vectors that close
        its coverage); returns the loaded `model.snn.export.Export`."""
        from model.snn.export import export_network, load

        u = np.asarray(inputs, dtype=np.float64)
        return load(export_network(self.net, out_dir, u, {"source": self.source}, directed))


def _config(sizes, options: dict, **fixed) -> SnnConfig:
    """An `SnnConfig` of ``sizes`` from the caller's options (None: the dataclass default) and ``fixed`` fields."""
    given = {k: v for k, v in options.items() if v is not None}
    unknown = set(given) - {"timesteps", "weight_bits", "membrane_bits", "input_bits", "lanes", "reset"}
    if unknown:
        raise UserError(f"unknown options {sorted(unknown)}")
    return SnnConfig(sizes=tuple(sizes), **(given | fixed))


def from_nir(graph, dt: float | None = None, reset: str | None = None, **options) -> Imported:
    """A NIR graph (or the path of a NIR file) as an `Imported` network.

    ``options``: ``timesteps``, ``weight_bits``, ``membrane_bits``, ``input_bits``, ``lanes`` of the
    quantised network (a graph this project exported keeps its own, exactly).
    """
    path = None
    if isinstance(graph, (str, Path)):
        path, graph = str(graph), nir_import.read(graph)
    nn_ = nir_import.from_graph(graph, dt, reset)
    source = {"kind": "nir", "file": path, "dt": nn_.dt, "reset": nn_.reset, "notes": list(nn_.notes),
              "leak_error": max((l.leak_error or 0.0 for l in nn_.layers), default=0.0)}
    exact = nn_.int_network()
    if exact is not None:
        lanes = options.get("lanes")
        net = exact.with_lanes(lanes)
        return Imported(net, source | {"exact": True}, nn_.notes + ("the graph's integers, taken exactly",))
    config = _config(nn_.sizes, options, reset=nn_.reset, leak_shift=nn_.leak_shift)
    layers = [(torch.as_tensor(w), torch.as_tensor(b)) for w, b in nn_.affine_layers()]
    net = quantise(layers, config, ConvertOptions(round_offset=False))
    q = f"quantised to {config.weight_bits}-bit weights, thresholds {[int(t) for t in net.thresholds]}, T = {config.timesteps}"
    return Imported(net, source | {"exact": False}, nn_.notes + (q,))


def from_torch(module, calibration, output: str | None = None, normalisation: str = "p99.9", **options) -> Imported:
    """A PyTorch MLP (an ``nn.Sequential``, or the path of one or of its state dict) converted to rate neurons.

    ``calibration``: inputs ``(n, N_0)`` in [0, 1] for the normalisation (Eq. 6), or a function of ``N_0``
    that returns them; ``output``: ``"image"`` or ``"scores"`` (default: what the module ends in);
    ``options`` as for `from_nir`, plus ``reset``.
    """
    path = None
    if isinstance(module, (str, Path)):
        path = str(module)
        layers, found = torch_import.load(module)
    else:
        layers, found = torch_import.module_layers(module)
    layers = check_layers(layers)
    conv_options = ConvertOptions(normalisation, round_offset=True, output=output or found)
    config = _config((layers[0][0].shape[1],) + tuple(w.shape[0] for w, _ in layers), options)
    if callable(calibration):
        calibration = calibration(config.sizes[0])
    u = torch.as_tensor(np.asarray(calibration), dtype=torch.float64)
    if u.ndim != 2 or u.shape[1] != config.sizes[0]:
        raise UserError(f"calibration inputs must have shape (n, {config.sizes[0]}), got {tuple(u.shape)}")
    conv = convert(layers, u, config, conv_options)
    source = {"kind": "torch", "file": path, **conv.metadata()}
    return Imported(conv.int_net, source, (f"converted as {conv_options.output}, {normalisation} normalisation",))

