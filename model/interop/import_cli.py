"""``spikegan import``: a NIR graph (``.nir``) or a PyTorch MLP (``.pt``) -> the project's export.

It prints what it chose where the source does not say (the time step, the
reset, the leak's error) and writes an ordinary export (manifest, ``.mem``
files, test vectors with the golden model's outputs) that ``spikegan rtl`` and
``spikegan verify --manifest`` take unchanged.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from model.common.errors import UserError
from model.common.npy import read_npy
from model.common.options import add_no_directed, add_out, add_seed
from model.convert.conversion import OUTPUTS, ConvertOptions
from model.snn.config import RATE_RESETS, SnnConfig, leak_text

NIR_SUFFIXES = (".nir", ".h5", ".hdf5")
TORCH_SUFFIXES = (".pt", ".pth")


def add_arguments(parser) -> None:
    d = SnnConfig()
    parser.add_argument("source", help="a NIR file (.nir/.h5) or a PyTorch MLP (.pt/.pth: nn.Sequential or its state dict)")
    add_out(parser, None, "export folder", shown="weights/imported/<source name>/snn")
    parser.add_argument("--dt", type=float, default=None, help="NIR: seconds per step, for LIF leaks (default: the graph's metadata)")
    parser.add_argument("--reset", choices=RATE_RESETS, default=None,
                        help="reset after a spike: to zero (NIR's v <- v_reset) or by subtraction "
                             f"(default: a NIR graph's metadata, else {d.reset})")
    parser.add_argument("--timesteps", type=int, default=None, help=f"T (default: the graph's metadata, else {d.timesteps})")
    parser.add_argument("--weight-bits", type=int, default=None, help=f"q: bits per weight (default: {d.weight_bits})")
    parser.add_argument("--membrane-bits", type=int, default=None, help=f"m: bits per membrane (default: {d.membrane_bits})")
    parser.add_argument("--lanes", type=int, default=None, help=f"P: neurons per memory word (default: {d.lanes})")
    parser.add_argument("--inputs", default=None,
                        help="a .npy of input rows in [0, 1]: calibration and test vectors (default: uniform noise)")
    parser.add_argument("--vectors", type=int, default=10, help="test vectors to export")
    add_no_directed(parser)
    parser.add_argument("--calib", type=int, default=2000, help="PyTorch: calibration inputs for the normalisation")
    parser.add_argument("--output", choices=OUTPUTS, default=None,
                        help="PyTorch: the last layer is an image in [0, 1] or scores (default: what the module ends in)")
    parser.add_argument("--norm", default=ConvertOptions().normalisation, help="PyTorch: 'max' or a percentile like 'p99.9'")
    add_seed(parser, "seed of the uniform inputs")


def inputs(path, n0: int, count: int, seed: int) -> np.ndarray:
    """``count`` input rows ``(count, n0)`` in [0, 1]: the first rows of a ``.npy`` file, else seeded uniform noise."""
    if count < 1:
        raise UserError(f"need at least one input row, asked for {count}")
    if path is None:
        return np.random.default_rng(seed).random((count, n0))
    p = Path(path)
    if not p.is_file():
        raise UserError(f"no inputs file at {p}; save rows in [0, 1] with numpy.save")
    x = read_npy(p)
    x = x.reshape(len(x), -1) if x.ndim > 1 else x
    if x.ndim != 2 or x.shape[1] != n0 or not len(x):
        raise UserError(f"{p}: expected rows of {n0} values, got shape {x.shape}")
    if not np.all(np.isfinite(x)) or x.min() < 0 or x.max() > 1:
        raise UserError(f"{p}: inputs must lie in [0, 1] (they are spike probabilities), found {x.min():.3g} .. {x.max():.3g}")
    return x[:count].astype(np.float64)


def load_source(args):
    """The `model.interop.imported.Imported` network of ``args.source``."""
    from model.interop import imported

    src = Path(args.source)
    options = {"timesteps": args.timesteps, "weight_bits": args.weight_bits, "membrane_bits": args.membrane_bits,
               "lanes": args.lanes}
    if src.suffix in NIR_SUFFIXES:
        return imported.from_nir(src, args.dt, args.reset, **options)
    if src.suffix in TORCH_SUFFIXES:
        def calib(n0):
            return inputs(args.inputs, n0, args.calib, args.seed + 1)

        return imported.from_torch(src, calib, args.output, args.norm, reset=args.reset or SnnConfig().reset, **options)
    raise UserError(f"{src}: unknown kind of file; give a NIR file ({', '.join(NIR_SUFFIXES)}) "
                    f"or a PyTorch file ({', '.join(TORCH_SUFFIXES)})")


def run(args) -> int:
    net = load_source(args)
    c = net.config
    for note in net.notes:
        print(note)
    out = Path(args.out) if args.out else Path("weights/imported") / Path(args.source).stem / "snn"
    export = net.export(out, inputs(args.inputs, c.sizes[0], args.vectors, args.seed), not args.no_directed)
    print(f"{'-'.join(map(str, c.sizes))} network, T = {c.timesteps}, reset {c.reset}, "
          f"leak {leak_text(c.leak_shift)}: exported {export.path}")
    print(f"next: spikegan rtl --manifest {export.path}  and  spikegan verify --manifest {export.path} --sim icarus")
    return 0
