"""The Python API: the functions the commands call, returning objects a notebook can inspect.

    import numpy as np
    from spikegan import api

    net = api.load_nir("classifier.nir", dt=1e-4, reset="subtract", timesteps=16)  # Imported: .net, .config, .notes
    export = api.export(net, "weights/my-net/snn", np.random.rand(4, net.config.sizes[0]))  # Export
    result = api.simulate(export, np.random.rand(8, net.config.sizes[0]))  # GoldenResult: .spikes, .counts
    rtl = api.build_rtl(export, "build/my-net")                           # RtlBuild: .sources, .mem_files
    report = api.verify(export, sim="icarus", vectors=2)                  # dict: report["ok"], ["summary"]
    api.save_nir(export, "my-net.nir")                                    # for snnTorch, sinabs, ...

`load_torch` takes a PyTorch MLP (module, or the path of it or of its state
dict) and converts it as ``spikegan import`` does.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from model.interop.imported import Imported, from_nir, from_torch
from model.interop.nir_export import DT, write
from model.snn.export import Export, load
from model.snn.golden import GoldenResult, encode_noise, run_noise

__all__ = ["load_nir", "load_torch", "export", "load", "simulate", "build_rtl", "verify", "save_nir"]


def load_nir(graph, dt: float | None = None, reset: str | None = None, **options) -> Imported:
    """A NIR graph or file as the project's integer network (`model.interop.imported.from_nir`)."""
    return from_nir(graph, dt, reset, **options)


def load_torch(module, calibration, output: str | None = None, normalisation: str = "p99.9", **options) -> Imported:
    """A PyTorch MLP converted to rate neurons (`model.interop.imported.from_torch`)."""
    return from_torch(module, calibration, output, normalisation, **options)


def export(net: Imported, out_dir, inputs) -> Export:
    """Write the network and test vectors for ``inputs`` ``(n, N_0)`` in [0, 1]; returns the loaded export."""
    return net.export(out_dir, inputs)


def simulate(network: Export | Imported, inputs) -> GoldenResult:
    """The golden model (the RTL's integers) on inputs ``(n, N_0)`` in [0, 1], encoded as the chip encodes them
    (rate, stratified, TTFS spikes, or layer 1's current under direct coding)."""
    net = network.net
    return run_noise(net, encode_noise(np.asarray(inputs, dtype=np.float64), net.config))


def build_rtl(export: Export, out_dir, lanes: int | None = None, lint: bool = True):
    """The generator's Verilog and ``.mem`` files for ``export`` (as ``spikegan rtl``); returns the `hw.build.RtlBuild`."""
    from hw.build import build

    return build(export, out_dir, lanes, run_lint=lint)


def verify(export: Export, sim: str = "verilator", vectors: int | None = None, out_dir=None, **options) -> dict:
    """Run the export's test vectors on the RTL under ``sim`` and compare bit for bit (as ``spikegan verify``)."""
    from verify.flow import verify_run

    out = Path(out_dir) if out_dir else export.path.parent / f"verify-{sim}"
    return verify_run(export.path, sim, vectors or len(export.vectors), out, **options)


def save_nir(network: Export | Imported, path, dt: float = DT) -> Path:
    """The network as a NIR file, its semantics in the ``spikegan`` metadata (`model.interop.nir_export`)."""
    return write(network.net, path, dt)
