"""A trained generator's checkpoint converted and exported as ``spikegan convert`` does it.

`convert_checkpoint` loads the generator, builds the `SnnConfig` (the project's
default or the paper's, with the fields given), draws the seeded noise sets and
converts; `CheckpointConversion.export` checks the integer network against the
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
from model.convert.conversion import Affine, Conversion, ConvertOptions, check_layers, convert
from model.snn.config import IntNetwork, SnnConfig
from model.snn.float_snn import SaturationPossible, from_int_network, simulate
from model.snn.golden import encode_noise, encode_spikes, run_noise

DEFAULT_CHECKPOINT = f"{DEFAULT_RUN}/checkpoint.pt"
# The paper's configuration (the dataclass defaults: Bernoulli rate coding, Eq. 4, at T = 64) and the default,
# the cheapest point of the measured fidelity/energy front whose FID is within 10 % of the ANN's (`make pareto`, docs/generator.md).
PAPER = SnnConfig()
DEFAULT = dataclasses.replace(PAPER, coding="direct", timesteps=32)


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


def snn_config(sizes, paper: bool = False, **fields) -> SnnConfig:
    """The `SnnConfig` of a generator of ``sizes``: `DEFAULT` (``paper``: `PAPER`) with the ``fields`` not None."""
    known = [f.name for f in dataclasses.fields(SnnConfig) if f.name != "sizes"]
    for name in fields:
        if name not in known:
            raise UserError(f"no SnnConfig field {name!r}; the fields a conversion takes: {', '.join(known)}")
    given = {k: v for k, v in fields.items() if v is not None}
    return dataclasses.replace(PAPER if paper else DEFAULT, sizes=tuple(sizes), **given)


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
    conversion: Conversion

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

    def export(self, out_dir=None) -> tuple[Path, str]:
        """Write the export to ``out_dir`` (default: the checkpoint's folder's ``snn``); the manifest and the
        check made against the golden model (`export_with_check`)."""
        out = Path(out_dir) if out_dir else self.checkpoint.parent / "snn"
        return export_with_check(self.conversion, out, self.test_noise, self.metadata())


def convert_checkpoint(checkpoint=DEFAULT_CHECKPOINT, options: ConvertOptions = ConvertOptions(), calib: int = 2000,
                       images: int = 128, vectors: int = 10, seed: int = 0, paper: bool = False,
                       **fields) -> CheckpointConversion:
    """Convert the generator of ``checkpoint`` for `snn_config` ``(paper, **fields)``, normalised on ``calib``
    seeded noise vectors; ``images`` and ``vectors`` size the sweep's noise and the test vectors drawn after it."""
    path = checkpoint_path(checkpoint)
    for name, n in (("vectors", vectors), ("calib", calib), ("images", images)):
        if n < 1:
            raise UserError(f"--{name} must be >= 1")
    layers = check_layers(load_generator(path).affine_layers())
    sizes = (layers[0][0].shape[1],) + tuple(w.shape[0] for w, _ in layers)
    config = snn_config(sizes, paper, **fields)
    u_calib, u_eval, u_vec = noise_sets(sizes[0], calib, images, vectors, seed)
    conversion = convert(layers, u_calib, config, options)
    return CheckpointConversion(path, seed, layers, u_calib, u_eval, u_vec, conversion)


def export_with_check(conv: Conversion, out: Path, u_vec: torch.Tensor, extra: dict) -> tuple[Path, str]:
    """Export, after checking the fast integer simulator against the golden model on the test vectors."""
    from model.snn.export import export_network

    c = conv.config
    x = encode_noise(u_vec.numpy(), c)
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
    return export_network(conv.int_net, out, u_vec.numpy(), extra | {"golden_check": check}), check
