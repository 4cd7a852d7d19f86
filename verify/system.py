"""Build the generator of a loaded export and run its cocotb testbench (used by the flows, the tests and the CLI)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from hw.build import build
from hw.storage import storage
from model.snn.config import TTFS_NEURONS, SnnConfig
from model.snn.export import Export, export_network
from model.snn.golden import random_network
from verify import activity
from verify.coverage import counter_names, rtl_points
from verify.sim import run_testbench
from verify.sweep_monitor import PLUSARG, sweep_probes
from verify.wrapper import SimBuild, add_wrapper

TB_MODULE = "verify.tb.generator"


def random_export(out_dir, config: SnnConfig, seed: int, vectors: int = 2, weight_scale: float = 0.3, bias_scale: int = 0,
                  directed: bool = False) -> Path:
    """A random network of ``config``'s shape with ``vectors`` random noise vectors, exported by `model.snn.export`
    (``directed``: with the directed vectors that close its coverage)."""
    net = random_network(config, seed=seed, weight_scale=weight_scale, bias_scale=bias_scale)
    noise = np.random.default_rng(seed + 1).random((vectors, config.sizes[0]))
    return export_network(net, out_dir, noise, extra={"random_seed": seed, "weight_scale": weight_scale},
                          directed=directed)


def sim_build(export: Export, root, lanes: int | None = None, run_lint: bool = False, fpga: bool = False,
              stored_trains: bool = True, design: str = "snn", registers: bool = False) -> SimBuild:
    """The generator's RTL (with all of the export's test vectors in its Spike ROM) and sim wrapper, under ``root``.

    The folder name holds the manifest's digest and ``P``, so each parameter
    set has its own build and a rebuild happens only when they change.
    ``fpga``: the FPGA top (`hw.fpga_top.FpgaTop`) instead, with no ports dumped;
    ``stored_trains=False``: without the stored spike trains (the encoder only); ``design``: an exact-TTFS
    export's ANN twin instead (`hw.build.DESIGNS`), with the same ports and no coverage or sweep monitors;
    ``registers``: also sum the register bits that change (`verify.activity.register_point`), in a build of its own.
    """
    export = export.with_lanes(lanes)
    c = export.config
    tag = (f"generator-{export.sha256[:10]}-p{c.lanes}" + ("-fpga" if fpga else "") + ("" if stored_trains else "-encoder")
           + ("" if design == "snn" else f"-{design}") + ("-registers" if registers else ""))
    rtl = build(export, Path(root).resolve() / tag / "rtl", run_lint=run_lint, fpga=fpga, stored_trains=stored_trains,
                design=design)
    if fpga:
        return add_wrapper(rtl)
    dump = [f"spikes{l}__{f}" for l in range(c.layers + 1) for f in ("valid", "index", "step", "total")]
    valid = [f"spikes{l}__valid" for l in range(c.layers + 1)] + ["busy"]  # busy: the cycles an image runs
    counted = activity.activity_points(c, design)
    if registers:
        counted.append(activity.register_point(storage(rtl.sources[-1].read_text())))
    if design != "snn":
        return add_wrapper(rtl, dump, pulses=valid, activity=counted)
    return add_wrapper(rtl, dump, rtl_points(c), sweep_probes(c), valid, counted)


def run_generator(
    export: Export,
    sim: str,
    build: SimBuild,
    images: list[dict],
    monitor_layers=None,
    vcd: Path | None = None,
    log: Path | None = None,
    progress=None,
    optimize: bool = True,
) -> tuple[dict, dict]:
    """Run ``images`` (``{"vector": n, "encode": 0|1}``) of ``export`` on the generator ``build`` under ``sim``.

    Returns the testbench's result (per image: cycles, cycle budget, wall time,
    mismatches, first divergence, the cycle each layer ended each step's sweep
    in; ``error`` is non-empty on any mismatch) and
    the recorded arrays (``image{k}_counts{l}``, ``image{k}_spikes{l}``).
    ``monitor_layers``: the layers whose spike trains are recorded (default:
    all). ``vcd``: dump the first image's spike-event ports there; ``log``,
    ``progress`` (called with the images done) and ``optimize`` as in `run_testbench`.
    """
    if monitor_layers is None:
        monitor_layers = list(range(export.config.layers + 1))
    if export.config.neuron in TTFS_NEURONS and export.config.layers not in monitor_layers:
        monitor_layers = [*monitor_layers, export.config.layers]  # a TTFS image is read from its output spike times
    sim_dir = build.rtl.out_dir.parent / sim
    observed = sim_dir / "observed.npz"
    sweeps = sim_dir / "sweeps.txt"
    plan = {
        "manifest": str(export.path),
        "rtl_dir": str(Path(build.rtl.out_dir).resolve()),
        "images": images,
        "monitor_layers": list(monitor_layers),
        "observed": str(observed.resolve()),
        "cover": counter_names(build.cover),
        "activity": counter_names(build.activity, activity.PREFIX),
        "sweeps": str(sweeps.resolve()) if build.sweeps else None,
    }
    plus_args = [f"+{PLUSARG}={sweeps.resolve()}"] if build.sweeps else []
    result = run_testbench(sim, build, TB_MODULE, plan, sim_dir, vcd=vcd, log=log, progress=progress, optimize=optimize,
                           plus_args=plus_args)
    with np.load(observed) as z:
        arrays = {k: z[k] for k in z.files}
    return result, arrays


def first_failure(result: dict, images: list[dict]) -> str | None:
    """What failed in a `run_generator` result for ``images``: the first mismatching image's divergence, or
    the testbench's error (a hang, a check), or None when every image ran and matched."""
    failed = [im for im in result["images"] if not im["ok"]]
    if failed:
        return (failed[0]["first_divergence"] or {}).get("text") or "an image did not match"
    if result["error"] or len(result["images"]) < len(images):
        return result["error"] or f"the testbench stopped after {len(result['images'])} of {len(images)} images"
    return None


def run_fpga_top(export: Export, sim: str, root, images: list[dict], lanes: int | None = None,
                 stored_trains: bool = True, design: str = "snn") -> dict:
    """Run ``images`` on the FPGA top (around ``design``) under ``sim`` and read every count through its pins
    (``verify.tb.fpga_top``)."""
    build = sim_build(export, root, lanes, run_lint=True, fpga=True, stored_trains=stored_trains, design=design)
    plan = {"manifest": str(export.path), "rtl_dir": str(build.rtl.out_dir), "images": images}
    return run_testbench(sim, build, "verify.tb.fpga_top", plan, build.rtl.out_dir.parent / sim)
