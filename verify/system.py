"""Build the generator for an exported network and run its cocotb testbench (used by tests and `python -m verify`)."""

from __future__ import annotations

import dataclasses
import hashlib
from pathlib import Path

import numpy as np

from hw.build import build_generator, read_rtl_info
from model.export import export_network, load_network, load_vectors
from model.golden import random_network
from model.snn_config import IntNetwork, SnnConfig
from verify.sim import SimBuild, add_wrapper, run_testbench

TB_MODULE = "verify.tb_generator"


def random_export(out_dir, config: SnnConfig, seed: int, vectors: int = 2, weight_scale: float = 0.3, bias_scale: int = 0) -> Path:
    """A random network of ``config``'s shape with ``vectors`` random noise vectors, exported by `model.export`."""
    net = random_network(config, seed=seed, weight_scale=weight_scale, bias_scale=bias_scale)
    noise = np.random.default_rng(seed + 1).random((vectors, config.sizes[0]))
    return export_network(net, out_dir, noise, extra={"random_seed": seed, "weight_scale": weight_scale})


def with_lanes(net: IntNetwork, lanes: int | None) -> IntNetwork:
    """``net`` with another lane count ``P`` (it changes only the memory layout, never the results)."""
    if lanes is None or lanes == net.config.lanes:
        return net
    return IntNetwork(dataclasses.replace(net.config, lanes=lanes), net.weights, net.biases, net.thresholds)


def _tag(manifest: Path, lanes: int) -> str:
    digest = hashlib.sha256(Path(manifest).read_bytes()).hexdigest()[:10]
    return f"generator-{digest}-p{lanes}"


def build_for_manifest(manifest, root, lanes: int | None = None, run_lint: bool = False, fpga: bool = False,
                       stored_trains: bool = True) -> SimBuild:
    """The generator's RTL (with all of the export's test vectors in its Spike ROM) and sim wrapper, under ``root``.

    The folder name depends on the manifest's contents and ``P``, so each
    parameter set has its own build and a rebuild happens only when they change.
    ``fpga``: the FPGA top (`hw.fpga_top.FpgaTop`) instead, with no ports dumped;
    ``stored_trains=False``: without the stored spike trains (the encoder only).
    """
    net, _ = load_network(manifest)
    net = with_lanes(net, lanes)
    x = np.stack([v.noise_x for v in load_vectors(manifest)])
    tag = _tag(manifest, net.config.lanes) + ("-fpga" if fpga else "") + ("" if stored_trains else "-encoder")
    build = build_generator(net, x, Path(root).resolve() / tag / "rtl", run_lint=run_lint, fpga=fpga,
                            stored_trains=stored_trains)
    if fpga:
        return add_wrapper(build)
    dump = [f"spikes{l}__{f}" for l in range(net.config.layers + 1) for f in ("valid", "index", "step", "total")]
    return add_wrapper(build, dump)


def run_generator(
    manifest,
    sim: str,
    root,
    images: list[dict],
    monitor_layers=None,
    lanes: int | None = None,
    vcd: Path | None = None,
    build: SimBuild | None = None,
    log: Path | None = None,
    progress=None,
) -> tuple[dict, dict]:
    """Run ``images`` (``{"vector": n, "encode": 0|1}``) on the RTL under ``sim``.

    Returns the testbench's result (per image: cycles, lower bound, wall time,
    mismatches, first divergence; ``error`` is non-empty on any mismatch) and
    the recorded arrays (``image{k}_counts{l}``, ``image{k}_spikes{l}``).
    ``vcd``: dump the first image's spike-event ports there; ``log`` and
    ``progress`` (called with the images done) as in `run_testbench`.
    """
    manifest = Path(manifest).resolve()
    if build is None:
        build = build_for_manifest(manifest, root, lanes)
    net_layers = read_rtl_info(build.rtl.out_dir)["config"]["sizes"]
    if monitor_layers is None:
        monitor_layers = list(range(len(net_layers)))
    sim_dir = build.rtl.out_dir.parent / sim
    observed = sim_dir / "observed.npz"
    plan = {
        "manifest": str(manifest),
        "rtl_dir": str(Path(build.rtl.out_dir).resolve()),
        "images": images,
        "monitor_layers": list(monitor_layers),
        "observed": str(observed.resolve()),
    }
    result = run_testbench(sim, build, TB_MODULE, plan, sim_dir, vcd=vcd, log=log, progress=progress)
    with np.load(observed) as z:
        arrays = {k: z[k] for k in z.files}
    return result, arrays


def run_fpga_top(manifest, sim: str, root, images: list[dict], lanes: int | None = None,
                 stored_trains: bool = True) -> dict:
    """Run ``images`` on the FPGA top under ``sim`` and read every count through its pins (``verify.tb_fpga_top``)."""
    manifest = Path(manifest).resolve()
    build = build_for_manifest(manifest, root, lanes, run_lint=True, fpga=True, stored_trains=stored_trains)
    plan = {"manifest": str(manifest), "rtl_dir": str(build.rtl.out_dir), "images": images}
    return run_testbench(sim, build, "verify.tb_fpga_top", plan, build.rtl.out_dir.parent / sim)
