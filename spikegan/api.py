"""The Python API: every stage of the pipeline as the commands run it, returning objects a notebook can inspect.

Each function calls the code its command calls, with the command's defaults, so on
what ``make all`` makes (the run ``weights/gan-mnist``, its export
``weights/gan-mnist/snn/manifest.json``) it gives the command's results, and
bad input gets the command's message (a `UserError`). The page is ``docs/api.md``.

    import numpy as np
    from spikegan import api

    export = api.load()                                        # Export: .net, .config, .vectors
    noise = np.random.default_rng(1).random((16, export.config.sizes[0]))
    result = api.simulate(export, noise)                       # GoldenResult: .spikes, .counts, .image
    api.save_images(result, "samples.png")                     # the generator's images as one grid

The stages: `load_generator` (the trained ANN), `convert` and `export` (as
``spikegan convert``), `load`, `simulate` (the golden model), `images` /
`save_images`, `build_rtl` (as ``spikegan rtl``), `verify` (``spikegan
verify``), `synthesise` (``spikegan synth``); for networks made elsewhere
`load_nir`, `load_torch` and `save_nir` (``spikegan import`` / ``export-nir``).
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from model.common.errors import UserError
from model.common.options import DEFAULT_MANIFEST, rtl_folder
from model.common.plots import image_grid
from model.convert.checkpoint import DEFAULT_CHECKPOINT, CheckpointConversion, convert_checkpoint
from model.convert.checkpoint import load_generator as _load_generator
from model.convert.conversion import ConvertOptions
from model.interop.imported import Imported, from_nir, from_torch
from model.interop.nir_export import DT, write
from model.snn.export import Export
from model.snn.export import load as _load
from model.snn.golden import GoldenResult, encode_noise, run_noise

__all__ = ["load_generator", "convert", "export", "load", "simulate", "images", "save_images", "build_rtl",
           "verify", "synthesise", "load_nir", "load_torch", "save_nir"]


def load_generator(checkpoint=DEFAULT_CHECKPOINT):
    """The trained ANN generator of a ``spikegan train`` checkpoint, a ``torch.nn.Module`` in eval mode."""
    return _load_generator(checkpoint)


def convert(checkpoint=DEFAULT_CHECKPOINT, paper: bool = False, normalisation: str = "p99.9",
            round_offset: bool = True, vectors: int = 10, calib: int = 2000, images: int | None = None, seed: int = 0,
            neuron: str | None = None, **config) -> CheckpointConversion:
    """Convert the checkpoint's generator as ``spikegan convert`` does (without its report).

    By default the exact ReLU -> TTFS conversion (``neuron="ramp"``, T = 32, each hidden layer clipped at the
    ``normalisation`` percentile); ``neuron="rate"``, ``paper`` or any option only the rate converter has
    (``coding``, ``reset``, ``leak_shift``, ``round_offset=False``) gives the rate converter, direct coding at
    T = 32 (``paper``: Bernoulli at T = 64). ``config``: `SnnConfig` fields (``timesteps``, ``weight_bits``,
    ``membrane_bits``, ``lanes`` and the rate converter's) over those defaults. ``vectors`` test vectors are drawn
    from ``seed`` after ``calib`` calibration and ``images`` report noise vectors (default: the command's), as the
    command draws them. Returns `CheckpointConversion`: ``.net``, ``.config``, ``.conversion``.
    """
    options = ConvertOptions(normalisation, round_offset)
    return convert_checkpoint(checkpoint, options, calib, images, vectors, seed, paper, neuron=neuron, **config)


def export(network: CheckpointConversion | Imported, out_dir=None, inputs=None, directed: bool = True) -> Export:
    """Write a network's export (manifest, ``.mem`` files, test vectors with the golden model's outputs and, unless
    ``directed`` is False, the directed vectors that close its coverage); returns it loaded.

    A converted checkpoint exports the test vectors `convert` drew, by default to ``<run>/snn`` as ``spikegan
    convert`` does; an imported network needs ``out_dir`` and ``inputs`` ``(n, N_0)`` in [0, 1].
    """
    if isinstance(network, CheckpointConversion):
        if inputs is not None:
            raise UserError("a converted checkpoint exports the test vectors api.convert drew: "
                            "ask for them with api.convert(..., vectors=N, seed=S), not inputs")
        manifest, _ = network.export(out_dir, directed)
        return _load(manifest)
    if out_dir is None or inputs is None:
        raise UserError("an imported network's export needs out_dir and inputs, its test vectors (n, N_0) in [0, 1]")
    return network.export(out_dir, inputs, directed)


def load(manifest=DEFAULT_MANIFEST) -> Export:
    """An export (its manifest or folder), every file checked (`model.snn.export.load`)."""
    return _load(manifest)


def simulate(network, inputs) -> GoldenResult:
    """The golden model (the RTL's integers) on noise ``inputs`` ``(n, N_0)`` in [0, 1], encoded as the chip encodes
    them (rate, stratified, TTFS spikes, or layer 1's current under direct coding): `model.snn.golden.run_noise`.

    ``network``: an `Export` (or its manifest's path), a `CheckpointConversion` or an `Imported` network.
    """
    net = _load(network).net if isinstance(network, (str, Path)) else network.net
    return run_noise(net, encode_noise(np.asarray(inputs, dtype=np.float64), net.config))


def images(result: GoldenResult) -> np.ndarray:
    """A generator's images ``(n, side, side)`` in [0, 1]: the golden model's image of each output spike train
    (`model.snn.golden.decode_image`: the rate, or for TTFS the first spike time)."""
    pixels = np.atleast_2d(result.image)
    side = math.isqrt(pixels.shape[-1])
    if side * side != pixels.shape[-1]:
        raise UserError(f"the output layer's {pixels.shape[-1]} neurons are not a square image; a classifier's "
                        "scores are its output counts, result.counts[-1]")
    return pixels.reshape(len(pixels), side, side)


def save_images(result: GoldenResult, path="samples.png", title: str = "images of the golden model",
                nrow: int = 10) -> Path:
    """`images` of ``result`` as one PNG grid under ``title`` (say which network and noise), ``nrow`` to a row
    (`model.common.plots.image_grid`)."""
    return image_grid(images(result), path, title, nrow)


def build_rtl(export=DEFAULT_MANIFEST, out_dir=None, lanes: int | None = None, lint: bool = True):
    """The generator's Verilog and ``.mem`` files for an export (or its manifest), as ``spikegan rtl`` writes
    them, into ``out_dir`` (default ``build/rtl/<run>``); returns the `hw.build.RtlBuild` (``.sources``,
    ``.mem_files``, ``.component``)."""
    from hw.build import build

    export = _as_export(export)
    return build(export, out_dir or rtl_folder(export.path), lanes, run_lint=lint)


def verify(export=DEFAULT_MANIFEST, sim: str = "verilator", vectors: int = 10, out_dir=None,
           lanes: int | None = None, **options) -> dict:
    """Run the first ``vectors`` test vectors of an export on its RTL under ``sim`` and compare every layer's
    spikes with the golden model, as ``spikegan verify`` does; the report also goes to ``out_dir`` (default
    ``reports/verify-<sim>``). Returns it: ``report["ok"]``, ``["summary"]``, ``["first_divergence"]``.

    ``options``: `verify.flow.verify_run`'s (``source``, ``build_root``, ``vcd``, ``rtl_dir``, ...).
    """
    from verify.flow import verify_run

    manifest, lanes = _manifest_and_lanes(export, lanes)
    return verify_run(manifest, sim, vectors, out_dir or f"reports/verify-{sim}", lanes=lanes, **options)


def synthesise(export, targets=("xc7", "ecp5", "asic", "vivado"), out_dir="reports/synth", lanes: int | None = None,
               **options) -> dict:
    """Synthesise an export's generator behind the FPGA top for ``targets``, as ``spikegan synth`` does, into
    ``out_dir`` (default ``reports/synth``); returns the report (``report["targets"][target]``).

    ``options``: `hw.synth_report.synth_report`'s (``ecp5_part``, ``ecp5_speed``, ``ice40_manifest``, ...).
    """
    from hw.synth_report import synth_report

    manifest, lanes = _manifest_and_lanes(export, lanes)
    return synth_report(manifest, out_dir, tuple(targets), lanes=lanes, **options)


def load_nir(graph, dt: float | None = None, reset: str | None = None, **options) -> Imported:
    """A NIR graph or file as the project's integer network (`model.interop.imported.from_nir`)."""
    return from_nir(graph, dt, reset, **options)


def load_torch(module, calibration, output: str | None = None, normalisation: str = "p99.9", **options) -> Imported:
    """A PyTorch MLP converted to rate neurons (`model.interop.imported.from_torch`)."""
    return from_torch(module, calibration, output, normalisation, **options)


def save_nir(network, path, dt: float = DT) -> Path:
    """The network as a NIR file, its semantics in the ``spikegan`` metadata (`model.interop.nir_export`)."""
    return write(network.net, path, dt)


def _as_export(export) -> Export:
    return export if isinstance(export, Export) else _load(export)


def _manifest_and_lanes(export, lanes: int | None) -> tuple[Path, int | None]:
    """What a flow that loads the manifest itself takes: the manifest, and ``lanes``, else an `Export`'s own
    (`Export.with_lanes` may have changed them). A path goes as given, for the flow's own check of it."""
    if not isinstance(export, Export):
        return Path(export), lanes
    return export.path, export.config.lanes if lanes is None else lanes
