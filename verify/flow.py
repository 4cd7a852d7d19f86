"""``python -m verify run`` (``make verify``) and ``python -m verify sweep``: RTL vs software, with a report."""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np

from hw.build import read_rtl_info
from model.errors import UserError
from model.export import load_network, load_vectors, read_manifest
from model.golden import first_divergence, run_network
from verify.figures import image_pairs_png, lane_sweep_png, pick_neurons, raster_png
from verify.references import float_references
from verify.sim import check_simulator
from verify.system import build_for_manifest, run_generator
from verify.vcd import spike_trains

DEFAULT_MANIFEST = "weights/gan-mnist/snn/manifest.json"
SOURCES = ("alternate", "rom", "encoder")


def _images(n_vectors: int, count: int, source: str) -> list[dict]:
    if count < 1:
        raise UserError("--images must be >= 1")
    if count > n_vectors:
        raise UserError(
            f"the export has {n_vectors} test vectors, {count} requested; "
            "export more with `python -m model convert --vectors N` or ask for fewer"
        )
    encode = {"rom": lambda n: 0, "encoder": lambda n: 1, "alternate": lambda n: n % 2}[source]
    return [{"vector": n, "encode": encode(n)} for n in range(count)]


class _Bar:
    """tqdm over images, updated from the testbench's progress count."""

    def __init__(self, total: int, desc: str):
        from model.progress import progress_bar

        self.bar = progress_bar(total=total, desc=desc, unit="image")

    def __call__(self, done: int) -> None:
        self.bar.update(done - self.bar.n)

    def close(self) -> None:
        self.bar.close()


def _mse(a, b) -> float:
    return float(np.mean((np.asarray(a, dtype=np.float64) - np.asarray(b, dtype=np.float64)) ** 2))


def verify_run(
    manifest,
    sim: str,
    images: int,
    out_dir,
    source: str = "alternate",
    lanes: int | None = None,
    build_root="sim_builds",
    vcd: bool = True,
    raster_neurons: int = 16,
) -> dict:
    """Run ``images`` test vectors of an export on the RTL under ``sim`` and write the report to ``out_dir``.

    Returns the report; ``report["ok"]`` is False on any mismatch, and
    ``report["first_divergence"]`` then names the first diverging layer,
    neuron and time step.
    """
    t_start = time.perf_counter()
    check_simulator(sim)
    manifest = Path(manifest)
    meta = read_manifest(manifest)
    net, _ = load_network(manifest)
    vectors = load_vectors(manifest)
    plan = _images(len(vectors), images, source)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)

    print(f"building the RTL for {manifest} (lint with verilator --lint-only -Wall) ...", flush=True)
    build = build_for_manifest(manifest, build_root, lanes, run_lint=True)
    rtl_info = read_rtl_info(build.rtl.out_dir)
    t_built = time.perf_counter()

    vcd_path = out_dir / "spikes_image0.vcd" if vcd else None
    bar = _Bar(len(plan), f"{sim}: compile, then images")
    try:
        result, arrays = run_generator(
            manifest, sim, build_root, plan, build=build, vcd=vcd_path, log=out_dir / f"{sim}.log", progress=bar
        )
    finally:
        bar.close()
    t_simulated = time.perf_counter()

    refs, ref_note = float_references(meta, [vectors[p["vector"]] for p in plan], net.config)
    expected = [run_network(net, vectors[p["vector"]].spikes) for p in plan]
    rows = []
    for k, (p, im, exp) in enumerate(zip(plan, result["images"], expected)):
        rtl_image = arrays[f"image{k}_counts{net.config.layers}"] / net.config.timesteps
        rows.append(
            {
                "vector": p["vector"],
                "source": "encoder" if p["encode"] else "rom",
                "mse_vs_golden": _mse(rtl_image, exp.image),
                "mse_vs_float_snn": _mse(rtl_image, refs["float_snn"][k]) if refs else None,
                "mse_vs_ann": _mse(rtl_image, refs["ann"][k]) if refs else None,
                "mismatched_neurons": im["mismatched_neurons"],
                "mismatched_spikes": im["mismatched_spikes"],
                "first_divergence": im["first_divergence"],
                "cycles": im["cycles"],
                "lower_bound": im["lower_bound"]["bound"],
                "slowest_layer": im["lower_bound"]["slowest_layer"],
                "cycles_over_bound": im["cycles"] / im["lower_bound"]["bound"],
                "wall_s": im["wall_s"],
                "ok": im["ok"],
            }
        )

    report = {
        "manifest": str(manifest),
        "simulator": sim,
        "rtl": str(build.rtl.out_dir),
        "config": rtl_info["config"],
        "lint": rtl_info["lint"],
        "references": ref_note,
        "images": rows,
    }
    figures = []
    if rows:
        figures.append(_image_pairs(out_dir, plan[: len(rows)], arrays, expected, refs, net.config))
        if vcd:
            report["vcd"], fig = _vcd_check(vcd_path, out_dir, plan[0], expected[0], net.config, raster_neurons)
            figures.append(fig)
    bad = [r for r in rows if not r["ok"]]
    if len(rows) < len(plan):  # the testbench stopped early (a hang)
        bad.append({"vector": plan[len(rows)]["vector"], "first_divergence": {"text": result["error"]}})
    if report.get("vcd") and not report["vcd"]["ok"]:
        bad.append({"first_divergence": report["vcd"]["first_divergence"], "vector": plan[0]["vector"]})
    report["ok"] = not bad and not result.get("error")
    report["first_divergence"] = None
    if bad:
        first = bad[0]
        report["first_divergence"] = {"vector": first["vector"], **(first["first_divergence"] or {})}
    report["summary"] = {
        "images": len(rows),
        "mismatching_images": len(bad),
        "mean_cycles": _stat(np.mean, rows, "cycles"),
        "mean_cycles_over_bound": _stat(np.mean, rows, "cycles_over_bound"),
        "max_cycles_over_bound": _stat(np.max, rows, "cycles_over_bound"),
        "mean_image_wall_s": _stat(np.mean, rows, "wall_s"),
        "build_s": t_built - t_start,
        "simulator_s": t_simulated - t_built,
        "total_s": time.perf_counter() - t_start,
    }
    if refs:
        report["summary"]["mean_mse_vs_float_snn"] = _stat(np.mean, rows, "mse_vs_float_snn")
        report["summary"]["mean_mse_vs_ann"] = _stat(np.mean, rows, "mse_vs_ann")
    report["figures"] = [str(f.name) for f in figures]
    (out_dir / "report.json").write_text(json.dumps(report, indent=1) + "\n")
    (out_dir / "report.md").write_text(markdown(report))
    return report


def _stat(f, rows: list[dict], key: str) -> float | None:
    return float(f([r[key] for r in rows])) if rows else None


def _image_pairs(out_dir: Path, plan, arrays, expected, refs, config) -> Path:
    n = len(plan)
    rtl = np.stack([arrays[f"image{k}_counts{config.layers}"] / config.timesteps for k in range(n)])
    rows = [("RTL", rtl), ("golden model", np.stack([e.image for e in expected[:n]]))]
    if refs:
        rows += [("float SNN", refs["float_snn"][:n]), ("ANN", refs["ann"][:n])]
    captions = [f"v{p['vector']} {'enc' if p['encode'] else 'rom'}" for p in plan]
    title = "RTL vs software (paper Fig. 6): rows = source, columns = test vectors"
    return image_pairs_png(out_dir / "image_pairs.png", rows, captions, title)


def _vcd_check(vcd_path: Path, out_dir: Path, item: dict, expected, config, neurons: int):
    """Spike trains from the VCD of the first image vs the golden model, and the raster figure."""
    layers = list(range(1, config.layers + 1))
    trains = spike_trains(vcd_path, config.sizes, config.timesteps, [0] + layers)
    div = first_divergence(expected.spikes, [trains[l] for l in range(config.layers + 1)])
    panels = []
    for l in layers:
        chosen = pick_neurons(expected.counts[l], neurons)
        panels.append((f"layer {l}", expected.spikes[l], trains[l], chosen))
    title = (
        f"vector {item['vector']} ({'encoder' if item['encode'] else 'stored trains'}): spike times of chosen neurons, "
        f"golden model vs RTL waveform ({'identical' if div is None else 'DIFFERENT'})"
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


def _fmt(x, spec: str) -> str:
    return "n/a" if x is None else format(x, spec)


def markdown(report: dict) -> str:
    """The report as a short Markdown page: the per-image table, the summary, the figures."""
    c = report["config"]
    s = report["summary"]
    lines = [
        f"# RTL verification ({report['simulator']})",
        "",
        f"Network {'-'.join(map(str, c['sizes']))}, T = {c['timesteps']}, P = {c['lanes']} lanes, "
        f"q = {c['weight_bits']}, m = {c['membrane_bits']}, reset {c['reset']}, leak {c['leak_shift']}. "
        f"Manifest `{report['manifest']}`. Lint: {report['lint']}.",
        "",
        "| vector | source | MSE vs golden | MSE vs float SNN | MSE vs ANN | mismatched neurons per layer | mismatched spikes | cycles | lower bound | cycles / bound | wall s |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in report["images"]:
        spikes = sum(r["mismatched_spikes"].values())
        lines.append(
            f"| {r['vector']} | {r['source']} | {r['mse_vs_golden']:.3g} | {_fmt(r['mse_vs_float_snn'], '.3g')} | "
            f"{_fmt(r['mse_vs_ann'], '.3g')} | {' / '.join(map(str, r['mismatched_neurons']))} | {spikes} | "
            f"{r['cycles']:,} | {r['lower_bound']:,} | {r['cycles_over_bound']:.3f} | {r['wall_s']:.1f} |"
        )
    verdict = "all images match the golden model bit for bit" if report["ok"] else (
        f"MISMATCH: first divergence {report['first_divergence']}"
    )
    lines += [
        "",
        f"**{verdict}** ({s['images']} images; every layer's spike counts and spike trains compared).",
        "",
        f"- cycles per image: mean {_fmt(s['mean_cycles'], ',.0f')}; cycles / event-driven lower bound: mean "
        f"{_fmt(s['mean_cycles_over_bound'], '.3f')}, max {_fmt(s['max_cycles_over_bound'], '.3f')} (the bound "
        "sums the layers; the layers run as a pipeline, so the ratio can be below 1)",
        f"- wall time: {s['total_s']:.0f} s in all (RTL build + lint {s['build_s']:.0f} s, simulator incl. compile "
        f"{s['simulator_s']:.0f} s, {_fmt(s['mean_image_wall_s'], '.1f')} s per image)",
    ]
    if "mean_mse_vs_float_snn" in s:
        lines.append(
            f"- image MSE of the RTL vs the float SNN: {_fmt(s['mean_mse_vs_float_snn'], '.3g')}, vs the ANN: "
            f"{_fmt(s['mean_mse_vs_ann'], '.3g')} (the paper reports 3.02e-5 .. 1.0e-4 for RTL vs software)"
        )
    else:
        lines.append(f"- {report['references']}")
    if report.get("vcd"):
        v = report["vcd"]
        lines.append(
            f"- waveform `{v['file']}` (vector {v['vector']}): spike times recovered with vcdvcd "
            f"{'equal' if v['ok'] else 'DIFFER from'} the golden model's ({' / '.join(map(str, v['spikes_per_layer']))} spikes per layer)"
        )
    lines.append("")
    lines += [f"![{f}]({f})" for f in report["figures"]]
    return "\n".join(lines) + "\n"


def lane_sweep(manifest, sim: str, lanes: list[int], images: int, out_dir, build_root="sim_builds") -> dict:
    """Cycles per image for each lane count ``P`` (the output layer monitored, counts of every layer checked)."""
    check_simulator(sim)
    manifest = Path(manifest)
    net, _ = load_network(manifest)
    vectors = load_vectors(manifest)
    plan = _images(len(vectors), images, "rom")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    rows = []
    for p in lanes:
        if p < 1:
            raise UserError(f"lane counts must be >= 1, got {p}")
        print(f"P = {p}: building ...", flush=True)
        build = build_for_manifest(manifest, build_root, p)
        bar = _Bar(len(plan), f"{sim} P={p}")
        try:
            result, _ = run_generator(
                manifest, sim, build_root, plan, monitor_layers=[net.config.layers], build=build,
                log=out_dir / f"{sim}-p{p}.log", progress=bar,
            )
        finally:
            bar.close()
        ims = result["images"]
        rows.append(
            {
                "lanes": p,
                "cycles": float(np.mean([i["cycles"] for i in ims])),
                "lower_bound": float(np.mean([i["lower_bound"]["bound"] for i in ims])),
                "slowest_layer": float(np.mean([i["lower_bound"]["slowest_layer"] for i in ims])),
                "wall_s": float(np.mean([i["wall_s"] for i in ims])),
                "ok": all(i["ok"] for i in ims) and not result.get("error"),
            }
        )
        rows[-1]["cycles_over_bound"] = rows[-1]["cycles"] / rows[-1]["lower_bound"]
    report = {"manifest": str(manifest), "simulator": sim, "images": images, "rows": rows, "ok": all(r["ok"] for r in rows)}
    fig = lane_sweep_png(out_dir / "lane_sweep.png", rows)
    report["figures"] = [fig.name]
    (out_dir / "lane_sweep.json").write_text(json.dumps(report, indent=1) + "\n")
    lines = [
        f"# Lane sweep ({sim}, {images} image(s) per P, `{manifest}`)",
        "",
        "| P | cycles / image | lower bound | cycles / bound | busiest layer | wall s / image | match |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r['lanes']} | {r['cycles']:,.0f} | {r['lower_bound']:,.0f} | {r['cycles_over_bound']:.3f} | "
            f"{r['slowest_layer']:,.0f} | {r['wall_s']:.1f} | {'yes' if r['ok'] else 'NO'} |"
        )
    lines += ["", f"![lane sweep]({fig.name})", ""]
    (out_dir / "lane_sweep.md").write_text("\n".join(lines))
    return report
