"""A trained generator's checkpoint converted and exported as ``spikegan convert`` does it.

`convert_checkpoint` loads the generator, picks the converter (`conversion_neuron`:
the exact ReLU -> TTFS conversion by default, the rate converter when asked or when
an option only it has is given), builds the `SnnConfig`, draws the seeded noise sets
and converts; `CheckpointConversion.export` checks the integer network against the
golden model and writes the export. The command (`model.convert.cli`) and the
Python API (`spikegan.api`) both call these, so for the same settings they write
the same files.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from model.common.errors import UserError
from model.common.options import DEFAULT_RUN
from model.convert import exact
from model.convert.conversion import Affine, Conversion, ConvertOptions, check_layers, convert
from model.snn.config import IntNetwork, SnnConfig
from model.snn.float_snn import SaturationPossible, from_int_network, simulate
from model.snn.golden import encode_noise, encode_spikes, run_noise

DEFAULT_CHECKPOINT = f"{DEFAULT_RUN}/checkpoint.pt"
# The converters: "ramp", the exact ReLU -> TTFS conversion (one spike per neuron, docs/exact-ttfs.md), the
# default; "rate", the rate converter (Eq. 6-7) with the paper's configuration (the dataclass defaults: Bernoulli
# coding, Eq. 4, at T = 64) or its own default, direct coding at T = 32.
NEURONS = ("ramp", "rate")
EXACT_T = 32
PAPER = SnnConfig()
DEFAULT = dataclasses.replace(PAPER, coding="direct", timesteps=32)
# Noise vectors the conversion report generates per point (the test vectors are drawn after them).
IMAGES = {"ramp": 1000, "rate": 128}


def checkpoint_path(checkpoint) -> Path:
    """``checkpoint`` as a path, refused with how to make it when there is no such file."""
    path = Path(checkpoint)
    if not path.exists():
        raise UserError(f"no generator checkpoint at {path}: run `make train` first (or pass --checkpoint)")
    return path


def load_generator(checkpoint=DEFAULT_CHECKPOINT) -> torch.nn.Module:
    """The trained generator of ``checkpoint`` in eval mode (`model.gan.train.load_generator`)."""
    from model.gan.train import load_generator as load

    return load(checkpoint_path(checkpoint))


def _given(fields: dict) -> dict:
    """The ``fields`` not None, each checked to be an `SnnConfig` field a conversion takes."""
    known = [f.name for f in dataclasses.fields(SnnConfig) if f.name not in ("sizes", "neuron")]
    for name in fields:
        if name not in known:
            raise UserError(f"no SnnConfig field {name!r}; the fields a conversion takes: {', '.join(known)}")
    return {k: v for k, v in fields.items() if v is not None}


def snn_config(sizes, paper: bool = False, **fields) -> SnnConfig:
    """The rate converter's `SnnConfig` of a generator of ``sizes``: `DEFAULT` (``paper``: `PAPER`) with the
    ``fields`` not None."""
    return dataclasses.replace(PAPER if paper else DEFAULT, sizes=tuple(sizes), **_given(fields))


def conversion_neuron(neuron: str | None, paper: bool, options: ConvertOptions, fields: dict) -> str:
    """The converter to run: ``neuron`` when given, else "ramp" (exact TTFS) unless an option only the rate
    converter has is set (the paper's configuration, an input coding, a reset, a leak, no rounding offset)."""
    rate = [flag for flag, on in (("--paper", paper), ("--coding", fields.get("coding") is not None),
                                  ("--reset", fields.get("reset") is not None),
                                  ("--leak-shift", fields.get("leak_shift") is not None),
                                  ("--no-round-offset", not options.round_offset)) if on]
    if neuron is None:
        return "rate" if rate else "ramp"
    if neuron not in NEURONS:
        raise UserError(f"neuron {neuron!r}: the converters are ramp (exact TTFS, the default) and rate")
    if neuron == "ramp" and rate:
        raise UserError(f"{', '.join(rate)}: options of the rate converter; the ramp neuron codes its input as "
                        "spike times, has no leak and always rounds (drop them, or ask for the rate converter: "
                        "--neuron rate)")
    return neuron


def _exact(layers: list[Affine], u_calib: torch.Tensor, sizes, clip: str, fields: dict) -> exact.ExactConversion:
    """The exact TTFS conversion at the given fields; the membrane as wide as it must be unless given."""
    given = _given(fields)
    fit = "membrane_bits" not in given
    config = exact.ramp_config(sizes, given.pop("timesteps", EXACT_T), given.pop("membrane_bits", None), **given)
    return exact.convert(layers, u_calib, config, clip, fit_membrane=fit)


def noise_sets(n0: int, calib: int, images: int, vectors: int, seed: int):
    """Independent seeded noise for calibration, the sweep and the test vectors, ``u ~ U(0, 1)``."""
    g = torch.Generator().manual_seed(seed)
    return tuple(torch.rand(n, n0, generator=g, dtype=torch.float64) for n in (calib, images, vectors))


@dataclass
class CheckpointConversion:
    """A checkpoint's generator converted for one `SnnConfig`, with the noise it was converted on.

    ``calibration``, ``sweep_noise`` and ``test_noise`` are the three seeded sets of `noise_sets`: the
    normalisation's calibration, the images of the conversion report's sweep, and the export's test vectors.
    """

    checkpoint: Path
    seed: int
    layers: list[Affine]  # the generator's affine layers, float64, BatchNorm folded
    calibration: torch.Tensor
    sweep_noise: torch.Tensor
    test_noise: torch.Tensor
    conversion: Conversion | exact.ExactConversion

    @property
    def config(self) -> SnnConfig:
        return self.conversion.config

    @property
    def net(self) -> IntNetwork:
        return self.conversion.int_net

    def metadata(self) -> dict:
        """What the manifest records about how the network was made."""
        return self.conversion.metadata() | {
            "checkpoint": str(self.checkpoint), "noise_seed": self.seed, "calibration_vectors": len(self.calibration)}

    def export(self, out_dir=None, directed: bool = True) -> tuple[Path, str]:
        """Write the export to ``out_dir`` (default: the checkpoint's folder's ``snn``), with its directed vectors
        unless told not to; the manifest and the check made against the golden model (`export_with_check`)."""
        out = Path(out_dir) if out_dir else self.checkpoint.parent / "snn"
        return export_with_check(self.conversion, out, self.test_noise, self.metadata(), directed)


def convert_checkpoint(checkpoint=DEFAULT_CHECKPOINT, options: ConvertOptions = ConvertOptions(), calib: int = 2000,
                       images: int | None = None, vectors: int = 10, seed: int = 0, paper: bool = False,
                       neuron: str | None = None, **fields) -> CheckpointConversion:
    """Convert the generator of ``checkpoint`` with the converter `conversion_neuron` picks, at the ``fields``
    given (the rate converter: over `snn_config` ``(paper)``), clipped or normalised on ``calib`` seeded noise
    vectors; ``images`` (default: `IMAGES` of the converter) and ``vectors`` size the report's noise and the test
    vectors drawn after it."""
    path = checkpoint_path(checkpoint)
    neuron = conversion_neuron(neuron, paper, options, fields)
    images = IMAGES[neuron] if images is None else images
    for name, n in (("vectors", vectors), ("calib", calib), ("images", images)):
        if n < 1:
            raise UserError(f"--{name} must be >= 1")
    layers = check_layers(load_generator(path).affine_layers())
    sizes = (layers[0][0].shape[1],) + tuple(w.shape[0] for w, _ in layers)
    config = None if neuron == "ramp" else snn_config(sizes, paper, **fields)
    u_calib, u_eval, u_vec = noise_sets(sizes[0], calib, images, vectors, seed)
    conversion = (_exact(layers, u_calib, sizes, options.normalisation, fields) if config is None
                  else convert(layers, u_calib, config, options))
    return CheckpointConversion(path, seed, layers, u_calib, u_eval, u_vec, conversion)


def export_with_check(conv: Conversion | exact.ExactConversion, out: Path, u_vec: torch.Tensor,
                      extra: dict, directed: bool = True) -> tuple[Path, str]:
    """Export, after checking the integer network against the golden model on the test vectors: the ramp
    network's step form against its closed form, a rate network's fast matrix simulator against the golden
    model."""
    from model.snn.export import export_network

    c = conv.config
    x = encode_noise(u_vec.numpy(), c)
    if c.neuron == "ramp":
        check = exact.check_step_form(conv.int_net, x)
        return export_network(conv.int_net, out, u_vec.numpy(), extra | {"golden_check": check}, directed), check
    spikes = encode_spikes(x, c)
    gold = run_noise(conv.int_net, x)
    try:
        fast = simulate(from_int_network(conv.int_net), spikes, drive=x if c.direct else None)
    except SaturationPossible:
        check = "not checked: the membrane may saturate, so the report's fixed SNN runs on the golden model itself"
    else:
        if not all(np.array_equal(g, f.numpy().astype(np.int64)) for g, f in zip(gold.counts, fast.counts)):
            raise RuntimeError("bug: the matrix integer simulator disagrees with the golden model")
        check = f"float_snn integer mode == golden model on the {len(u_vec)} test vectors (every layer's counts)"
    return export_network(conv.int_net, out, u_vec.numpy(), extra | {"golden_check": check}, directed), check
