"""``python -m verify run`` (``make verify``): RTL vs software, as steps that can be called alone.

`verify_run` is `build_step` (the RTL and its wrapper, linted), `run_step`
(the testbench under a simulator), `compare_step` (per image against the
golden model, the float SNN and the ANN; the waveform's spike times) and
`verify.run_report.write_report` (JSON, Markdown, figures).
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from hw.build import read_rtl_info
from hw.storage import storage
from hw.synth import CLOCK_MHZ
from model.common.errors import UserError
from model.common.runinfo import machine
from model.snn.export import Export, load
from model.snn.golden import GoldenResult, first_divergence, output_image, run_noise
from verify.coverage import design_coverage
from verify.figures import image_pairs_png, pick_neurons, raster_png
from verify.references import float_references
from verify.run_report import SOURCE_WORDS, write_report
from verify.sim import check_simulator
from verify.system import run_generator, sim_build
from verify.vcd import spike_trains
from verify.wrapper import SimBuild

SOURCES = ("alternate", "rom", "encoder")


def plan_images(n_vectors: int, count: int, source: str, directed=None) -> list[dict]:
    """The first ``count`` test vectors, each with its input source (``encode`` 0: stored trains, 1: encoder), then
    each directed vector of ``directed`` (encoder inputs ``(k, N_0)``), loaded through the noise port into vector
    0's noise memory and encoded on chip."""
    if count < 1:
        raise UserError("--vectors must be >= 1")
    if count > n_vectors:
        raise UserError(
            f"the export has {n_vectors} test vectors, {count} requested; "
            "export more (spikegan convert --vectors N; a TTFS network: spikegan ttfs --vectors N) or ask for fewer"
        )
    if source not in SOURCES:
        raise UserError(f"unknown input source {source!r}; choose one of {', '.join(SOURCES)}")
    encode = {"rom": lambda n: 0, "encoder": lambda n: 1, "alternate": lambda n: n % 2}[source]
    return [{"vector": n, "encode": encode(n)} for n in range(count)] + directed_images(directed)


def directed_images(directed) -> list[dict]:
    """Images of the directed vectors ``directed`` (encoder inputs ``(k, N_0)``, or None), each loaded through the
    noise port into vector 0's noise memory and encoded on chip."""
    directed = () if directed is None else directed
    return [{"vector": 0, "encode": 1, "noise": {"load": [int(v) for v in x]}, "directed": k}
            for k, x in enumerate(directed)]


def plan_noise(export: Export, item: dict) -> np.ndarray:
    """The encoder inputs ``X`` an image of the plan runs on."""
    return np.asarray(item["noise"]["load"]) if "noise" in item else export.vectors[item["vector"]].noise_x


def plan_golden(export: Export, plan: list[dict]):
    """The golden model's run of every image of the plan, with its membrane traces (`model.snn.golden.run_noise`)."""
    return run_noise(export.net, np.stack([plan_noise(export, p) for p in plan]), record_membranes=True)


def image_label(item: dict) -> str:
    """How a report names an image of the plan: its test vector, or its directed vector."""
    return f"directed vector {item['directed']}" if "directed" in item else f"test vector {item['vector']}"


def source_name(config, encode: int) -> str:
    """What fed an image: the stored trains ("rom"), the on-chip "encoder", or layer 1's "current" (direct coding,
    which has one source)."""
    return "current" if config.direct else "encoder" if encode else "rom"


def export_label(export: Export) -> str:
    """The export's run (the folder above ``snn/``, e.g. ``gan-mnist``) and configuration, for figure titles."""
    return f"{export.path.resolve().parent.parent.name}: {export.config.describe()}"


class ImageBar:
    """A progress bar over images, updated from the testbench's progress count."""

    def __init__(self, total: int, desc: str):
        from model.common.progress import progress_bar

        self.bar = progress_bar(total=total, desc=desc, unit="image")

    def __call__(self, done: int) -> None:
        self.bar.update(done - self.bar.n)

    def close(self) -> None:
        self.bar.close()


@dataclass
class SimRun:
    """What `run_step` brings back: the testbench's result, its recorded arrays, and the waveform (if dumped)."""

    result: dict
    arrays: dict
    vcd: Path | None


def build_step(export: Export, build_root, lanes: int | None = None, design: str = "snn",
               registers: bool = False) -> SimBuild:
    """The generator's RTL (or its ANN twin ``design``) for ``export`` (at ``lanes``) with its simulation wrapper,
    linted; ``registers``: counting the register bits that change (`verify.system.sim_build`)."""
    print(f"building the RTL for {export.path} (lint with verilator --lint-only -Wall) ...", flush=True)
    return sim_build(export, build_root, lanes, run_lint=True, design=design, registers=registers)


def run_step(export: Export, sim: str, build: SimBuild, plan: list[dict], out_dir: Path, vcd: bool = True) -> SimRun:
    """Run ``plan`` on ``build`` under ``sim``, with a progress bar; the simulator's log goes to ``out_dir``."""
    vcd_path = out_dir / "spikes_image0.vcd" if vcd else None
    bar = ImageBar(len(plan), f"{sim}: compile, then images")
    try:
        result, arrays = run_generator(export, sim, build, plan, vcd=vcd_path, log=out_dir / f"{sim}.log", progress=bar)
    finally:
        bar.close()
    return SimRun(result, arrays, vcd_path)


def _mse(a, b) -> float:
    return float(np.mean((np.asarray(a, dtype=np.float64) - np.asarray(b, dtype=np.float64)) ** 2))


def rtl_image(export: Export, run: SimRun, k: int) -> np.ndarray:
    """The ``k``-th image the RTL made, decoded from its output trains (or counts over ``T``)."""
    c = export.config
    return output_image(c, run.arrays[f"image{k}_counts{c.layers}"], run.arrays.get(f"image{k}_spikes{c.layers}"))


def image_rows(export: Export, plan: list[dict], run: SimRun, expected: list[GoldenResult], refs: dict) -> list[dict]:
    """One report row per image the testbench finished: MSE against each reference, mismatches, cycles."""
    rows = []
    for k, (p, im, exp) in enumerate(zip(plan, run.result["images"], expected)):
        image = rtl_image(export, run, k)
        referenced = refs and k < len(refs["float_snn"])  # the test vectors have software references
        rows.append(
            {
                "vector": p["vector"],
                "directed": p.get("directed"),
                "source": source_name(export.config, p["encode"]),
                "mse_vs_golden": _mse(image, exp.image),
                "mse_vs_float_snn": _mse(image, refs["float_snn"][k]) if referenced else None,
                "mse_vs_ann": _mse(image, refs["ann"][k]) if referenced else None,
                "mismatched_neurons": im["mismatched_neurons"],
                "mismatched_spikes": im["mismatched_spikes"],
                "first_divergence": im["first_divergence"],
                "cycles": im["cycles"],
                "us_at_clock": im["cycles"] / CLOCK_MHZ,
                "lower_bound": im["cycle_budget"]["lower_bound"],
                "cycles_over_bound": im["cycles"] / im["cycle_budget"]["lower_bound"],
                "serial_sum": im["cycle_budget"]["serial_sum"],
                "busiest_layer": im["cycle_budget"]["busiest_layer"],
                "wall_s": im["wall_s"],
                "activity": im.get("activity", {}),
                "ok": im["ok"],
            }
        )
    return rows


def compare_step(export: Export, plan: list[dict], run: SimRun, out_dir: Path, raster_neurons: int = 16) -> dict:
    """The checked part of the report: per-image rows, the waveform check, coverage, the verdict and the figures."""
    tests = [p for p in plan if "directed" not in p]
    refs, ref_note = float_references(export.manifest, [export.vectors[p["vector"]] for p in tests], export.config)
    gold = plan_golden(export, plan)
    expected = [gold.image_result(k) for k in range(len(plan))]
    rows = image_rows(export, plan, run, expected, refs)
    coverage = design_coverage(export.net, gold.traces, run.result.get("coverage", {}))
    checked = {"references": ref_note, "images": rows, "figures": [], "coverage": coverage}
    shown = min(len(rows), len(tests))
    if shown:
        checked["figures"].append(_image_pairs(out_dir, export, plan[:shown], run, expected, refs))
        if run.vcd is not None:
            checked["vcd"], fig = _vcd_check(run.vcd, out_dir, plan[0], expected[0], export, raster_neurons)
            checked["figures"].append(fig)
    bad = [r for r in rows if not r["ok"]]
    if len(rows) < len(plan):  # the testbench stopped early (a hang)
        bad.append({"vector": plan[len(rows)]["vector"], "first_divergence": {"text": run.result["error"]}})
    if checked.get("vcd") and not checked["vcd"]["ok"]:
        bad.append({"first_divergence": checked["vcd"]["first_divergence"], "vector": plan[0]["vector"]})
    checked["ok"] = not bad and not run.result.get("error")
    checked["first_divergence"] = {"vector": bad[0]["vector"], **(bad[0]["first_divergence"] or {})} if bad else None
    checked["directed_ran"] = any("directed" in p for p in plan)
    checked["coverage_closed"] = checked["directed_ran"] and not coverage["semantic_missed"]
    checked["mismatching_images"] = len(bad)
    checked["figures"] = [f.name for f in checked["figures"]]
    return checked


def check_tools(sim: str) -> None:
    """``sim`` and Verilator, whose lint every run starts with (under ``--sim icarus`` too)."""
    check_simulator(sim)
    try:
        check_simulator("verilator")
    except UserError as e:
        raise UserError(f"spikegan verify lints the RTL with Verilator before it simulates it, also under --sim {sim}: {e}") from None


def shipped_rtl(rtl_dir, export: Export, lanes: int | None, design: str = "snn"):
    """The RTL info of a folder ``spikegan rtl`` wrote, checked to be built from ``export`` as ``design``."""
    write_it = f"spikegan rtl --manifest {export.path} --out {rtl_dir}" + ("" if design == "snn" else f" --design {design}")
    if not Path(rtl_dir).is_dir():
        raise UserError(f"--rtl {rtl_dir}: no such folder; write the RTL of this export there with `{write_it}`")
    info = read_rtl_info(rtl_dir)
    if info.manifest_sha256 != export.sha256:
        raise UserError(f"the RTL in {rtl_dir} was built from another export ({info.manifest}); build it from this one: "
                        f"`{write_it}`")
    if lanes is not None and lanes != info.lanes:
        raise UserError(f"the RTL in {rtl_dir} has P = {info.lanes}, --lanes asks for {lanes}; drop one of them")
    if info.design != design:
        raise UserError(f"the RTL in {rtl_dir} is the {info.design} design, this run verifies {design}; write it "
                        f"with `{write_it}`")
    return info


def compare_shipped(rtl_dir: Path, info, build: SimBuild) -> dict:
    """Every Verilog and ``.mem`` file of the shipped RTL against the one simulated, by sha256."""
    differ = [name for name in info.sources + info.mem_files
              if not (build.rtl.out_dir / name).is_file() or not (Path(rtl_dir) / name).is_file()
              or _sha256(Path(rtl_dir) / name) != _sha256(build.rtl.out_dir / name)]
    return {"dir": str(rtl_dir), "files": len(info.sources) + len(info.mem_files), "identical": not differ,
            "differ": differ}


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def verify_run(
    manifest,
    sim: str,
    vectors: int,
    out_dir,
    source: str = "alternate",
    lanes: int | None = None,
    build_root="sim_builds",
    vcd: bool = True,
    raster_neurons: int = 16,
    rtl_dir=None,
    design: str = "snn",
    registers: bool = False,
    directed: bool = True,
) -> dict:
    """Run the first ``vectors`` test vectors of an export on the RTL under ``sim``, then (``directed``) its
    directed vectors; the report goes to ``out_dir``.

    ``rtl_dir``: the RTL ``spikegan rtl`` wrote for this export (what a user synthesises): every one of its
    files must equal the RTL simulated. ``design``: an exact-TTFS export's ANN twin (`hw.build.DESIGNS`) in place
    of the spiking generator, checked against the same golden model. ``registers``: count the register bits that
    change too (`verify.system.sim_build`). Returns the report; ``report["ok"]`` is False on any mismatch,
    and ``report["first_divergence"]`` then names the sources that disagree and where;
    ``report["directed_ran"]``: the export's directed vectors ran; ``report["coverage_closed"]``: they did and
    every semantic bin was hit or proven unreachable (``report["coverage"]["semantic_missed"]`` names the others).
    """
    t_start = time.perf_counter()
    check_tools(sim)
    export = load(manifest)
    shipped_info = shipped_rtl(rtl_dir, export, lanes, design) if rtl_dir is not None else None
    plan = plan_images(len(export.vectors), vectors, source, export.directed if directed else None)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    build = build_step(export, build_root, shipped_info.lanes if shipped_info else lanes, design, registers)
    t_built = time.perf_counter()
    run = run_step(export, sim, build, plan, out_dir, vcd)
    t_simulated = time.perf_counter()
    built_info = read_rtl_info(build.rtl.out_dir)
    checked = compare_step(export.with_lanes(built_info.lanes), plan, run, out_dir, raster_neurons)
    if shipped_info is not None:
        checked["shipped_rtl"] = shipped = compare_shipped(rtl_dir, shipped_info, build)
        if not shipped["identical"] and checked["ok"]:
            checked["ok"] = False
            checked["first_divergence"] = {"text": f"the shipped RTL in {rtl_dir} differs from the RTL verified: "
                                                   f"{', '.join(shipped['differ'])}; write it again with `spikegan rtl --manifest {export.path} --out {rtl_dir}`"}
    built_info = read_rtl_info(build.rtl.out_dir)
    report = {
        "manifest": str(manifest),
        "simulator": sim,
        "design": design,
        "rtl": str(build.rtl.out_dir),
        "config": export.config.with_lanes(built_info.lanes).to_dict(),
        "lint": built_info.lint,
        "storage": storage(build.rtl.sources[-1].read_text()).totals(),
        **checked,
    }
    report["summary"] = _summary(checked, t_built - t_start, t_simulated - t_built, time.perf_counter() - t_start)
    report["machine"] = machine()
    write_report(report, out_dir)
    return report


def _stat(f, rows: list[dict], key: str) -> float | None:
    """``f`` of ``key`` over the rows that have it (the directed vectors have no software references)."""
    values = [r[key] for r in rows if r[key] is not None]
    return float(f(values)) if values else None


def _summary(checked: dict, build_s: float, simulator_s: float, total_s: float) -> dict:
    rows = checked["images"]
    summary = {
        "images": len(rows),
        "mismatching_images": checked["mismatching_images"],
        "mean_cycles": _stat(np.mean, rows, "cycles"),
        "clock_mhz": CLOCK_MHZ,
        "mean_us_at_clock": _stat(np.mean, rows, "us_at_clock"),
        "mean_cycles_over_bound": _stat(np.mean, rows, "cycles_over_bound"),
        "min_cycles_over_bound": _stat(np.min, rows, "cycles_over_bound"),
        "max_cycles_over_bound": _stat(np.max, rows, "cycles_over_bound"),
        "mean_serial_sum": _stat(np.mean, rows, "serial_sum"),
        "mean_image_wall_s": _stat(np.mean, rows, "wall_s"),
        "build_s": build_s,
        "simulator_s": simulator_s,
        "total_s": total_s,
    }
    if rows and rows[0]["mse_vs_float_snn"] is not None:
        summary["mean_mse_vs_float_snn"] = _stat(np.mean, rows, "mse_vs_float_snn")
        summary["mean_mse_vs_ann"] = _stat(np.mean, rows, "mse_vs_ann")
    return summary


def _image_pairs(out_dir: Path, export: Export, plan, run: SimRun, expected, refs) -> Path:
    n = len(plan)
    rows = [("RTL\n(simulated)", np.stack([rtl_image(export, run, k) for k in range(n)])),
            ("golden\nmodel", np.stack([e.image for e in expected[:n]]))]
    if refs:
        rows += [("float SNN", refs["float_snn"][:n]), ("ANN", refs["ann"][:n])]
    sources = [SOURCE_WORDS[source_name(export.config, p["encode"])] for p in plan]
    captions = [f"{image_label(p)}\n{s}" for p, s in zip(plan, sources)]
    title = (f"Generated images of {n} test vectors, one row per model (the RTL must equal the golden model bit for "
             f"bit{'; the float SNN and the ANN are the software references' if refs else ''}); {export_label(export)}")
    return image_pairs_png(out_dir / "image_pairs.png", rows, captions, title)


def _vcd_check(vcd_path: Path, out_dir: Path, item: dict, expected, export: Export, neurons: int):
    """Spike trains from the VCD of the first image vs the golden model, and the raster figure."""
    config = export.config
    layers = list(range(1, config.layers + 1))
    trains = spike_trains(vcd_path, config.sizes, config.timesteps, [0] + layers)
    div = first_divergence(expected.spikes, [trains[l] for l in range(config.layers + 1)])
    panels = []
    for l in layers:
        chosen = pick_neurons(expected.counts[l], neurons)
        panels.append((f"layer {l}", expected.spikes[l], trains[l], chosen))
    title = (
        f"Spike times of up to {neurons} neurons per layer, test vector {item['vector']} "
        f"({SOURCE_WORDS[source_name(config, item['encode'])]}): golden model vs the RTL's waveform, "
        f"{'identical' if div is None else 'DIFFERENT'}; {export_label(export)}"
    )
    fig = raster_png(out_dir / "raster.png", panels, title)
    info = {
        "file": vcd_path.name,
        "vector": item["vector"],
        "spikes_per_layer": [int(trains[l].sum()) for l in range(config.layers + 1)],
        "ok": div is None,
        "first_divergence": None if div is None else {"layer": div.layer, "neuron": div.neuron, "step": div.step, "text": str(div)},
    }
    return info, fig
