"""``spikegan compare`` (``make compare``): should this network spike?

An exact-TTFS export's spiking generator beside its ANN twins (`hw.ann_twin`: dense, and zero-skipping, the fair
rival of an event-driven design), built from the same export, weight memories and lanes, run on the same test
vectors under each simulator: each is checked bit for bit against the one golden model, its activity counters
must be the same under every simulator, and the report gives its cycles per image,
its area and Fmax (Yosys xc7 estimate, nextpnr ECP5), images per second, and its energy per image three ways:
from its own activity counters (`verify.activity`, priced by `model.snn.event_energy`, by component) and under
the two operation-count models of `model.snn.energy`. Every design's ratio to the zero-skipping twin is stated,
whichever way it falls. Other exports of the same network (``--also``: the rate converter's, a trained TTFS
generator's) join the table as spiking designs of their own, with their activity and area; they compute another
quantisation, so only their own golden model vouches for their outputs. JSON, Markdown and a stacked-bar figure
go to ``--out``.
"""

from __future__ import annotations

import os
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import numpy as np

from model.common.errors import UserError
from model.common.jsonio import write_json_and_markdown
from model.common.options import add_manifest, add_out
from model.common.plots import pyplot, save_figure
from model.common.progress import progress_bar
from model.common.runinfo import machine
from model.snn import ramp
from model.convert.exact_sweep import op_count_energy
from model.convert.sweep import ann_macs
from model.snn.energy import MODELS
from model.snn.event_energy import LEAKAGE_CLOCK_MHZ
from model.snn.export import Export, load
from verify.activity import COMPONENTS, image_energy_pj
from verify.sim import SIMULATORS

DESIGNS = ("snn", "ann-dense", "ann-skip")
LABELS = {"snn": "exact-TTFS SNN", "ann-dense": "ANN twin, dense", "ann-skip": "ANN twin, zero-skipping"}
BASELINE = "ann-skip"
SYNTH_TARGETS = ("xc7", "ecp5")


def other_label(export: Export) -> str:
    """A spiking design of another export, in words."""
    c = export.config
    if c.neuron == "ttfs":
        return f"trained TTFS SNN (T = {c.timesteps})"
    return f"{c.coding}-coded SNN (T = {c.timesteps})"


def other_op_counts(export: Export, vectors: int) -> dict[str, float]:
    """Mean operations per image of another export's spiking design: synaptic additions (spikes x fan-out; direct
    coding's layer 1 as ``N_0 N_1`` MACs), one neuron update per neuron and step."""
    from model.snn.golden import run_noise

    c = export.config
    spikes = run_noise(export.net, export.noise_x[:vectors]).spikes
    per_image = [float(np.asarray(s).sum()) / vectors for s in spikes]
    first = 1 if c.direct else 0
    synaptic = sum(per_image[l] * c.sizes[l + 1] for l in range(first, c.layers))
    return {"synaptic": synaptic, "updates": sum(c.sizes[l] * c.timesteps for l in range(1, c.layers + 1)),
            "macs": float(ann_macs(c.sizes[:2])) if c.direct else 0.0}


def op_counts(export: Export, vectors: int) -> dict[str, dict[str, float]]:
    """Per design, the mean operations per image over the first ``vectors`` test vectors by the golden model:
    the SNN's synaptic additions and neuron updates (`model.snn.ramp.Operations`), each twin's MACs."""
    c = export.config
    q = ramp.values(export.net, export.noise_x[:vectors])
    nonzero = [float((v > 0).sum(1).mean()) for v in q]
    ops = ramp.Operations.of(c, nonzero)
    return {
        "snn": {"synaptic": sum(ops.synaptic), "updates": ops.neuron_updates, "macs": 0.0},
        "ann-dense": {"synaptic": 0.0, "updates": 0, "macs": float(ann_macs(c.sizes))},
        "ann-skip": {"synaptic": 0.0, "updates": 0, "macs": float(sum(nonzero[l] * c.sizes[l + 1] for l in range(c.layers)))},
    }


def _synth(manifest: Path, design: str, out: Path, target: str, ecp5_part: str) -> dict:
    """``design`` synthesised for one of `SYNTH_TARGETS`: the xc7 area (Yosys) or the ECP5 Fmax (nextpnr)."""
    from hw.synth_report import synth_report

    r = synth_report(manifest, out, (target,), ecp5_part=ecp5_part, design=design)["targets"][target]
    if target == "xc7":
        x = r["resources"]
        return {"lut": x["lut"], "ff": x["ff"], "bram36_equiv": x["bram36_equiv"], "dsp": x["dsp"]}
    return {"ecp5_fmax_mhz": r.get("fmax_min_mhz"), "ecp5_target": r.get("target")}


def _verify(manifest: Path, design: str, sims: tuple[str, ...], vectors: int, out: Path) -> dict[str, dict]:
    """``design`` verified on ``vectors`` test vectors under each of ``sims`` in turn (they share one RTL build)."""
    from verify.flow import verify_run

    return {sim: verify_run(manifest, sim, vectors, out / f"verify-{sim}", design=design, vcd=False, registers=True,
                       directed=False)
            for sim in sims}


@dataclass(frozen=True)
class Entry:
    """One design of the table: which export, which design of it, its label, its folder under the output and the
    test vectors it runs."""

    export: Export
    design: str
    label: str
    folder: str
    vectors: int

    def jobs(self, sims: tuple[str, ...], out: Path, targets: tuple[str, ...], ecp5_part: str) -> dict:
        """Its work as independent calls: the simulations, and the synthesis for each of ``targets``."""
        path = self.export.path
        jobs = {(self.folder, "verify"): partial(_verify, path, self.design, sims, self.vectors, out / self.folder)}
        for target in targets:
            jobs[(self.folder, target)] = partial(_synth, path, self.design, out / self.folder / f"synth-{target}",
                                                  target, ecp5_part)
        return jobs

    def row(self, reports: dict[str, dict], synth: dict | None) -> dict:
        """Its row from its verification ``reports`` (by simulator; cycles and activity from the first) and
        ``synth`` (the xc7 area, and the ECP5 Fmax where placed and routed): bit-exactness, activity under every
        simulator, cycles, energy from activity, area, Fmax and images per second."""
        per_sim = {sim: [im["activity"] for im in r["images"]] for sim, r in reports.items()}
        images = next(iter(reports.values()))["images"]
        counts = {k: float(np.mean([im["activity"][k] for im in images])) for k in images[0]["activity"]}
        row = {"key": self.folder, "design": self.design, "label": self.label, "manifest": str(self.export.path),
               "bit_exact": {sim: r["ok"] for sim, r in reports.items()},
               "activity_agrees": all(a == next(iter(per_sim.values())) for a in per_sim.values()),
               "vectors": len(images), "cycles": float(np.mean([im["cycles"] for im in images])), "activity": counts,
               "storage": next(iter(reports.values()))["storage"]}
        row["energy_pj"] = image_energy_pj(self.export.config, self.design, counts, row["cycles"], row["storage"])
        if synth is not None:
            row["synth"] = synth
            fmax = synth.get("ecp5_fmax_mhz")
            row["images_per_s"] = fmax * 1e6 / row["cycles"] if fmax else None
        return row


JOB_ORDER = ("ecp5", "xc7", "verify")  # longest first: place and route, then synthesis, then simulation


def run_jobs(jobs: dict, workers: int) -> dict:
    """Every call of ``jobs`` (keyed ``(design, kind)``, a kind of `JOB_ORDER`), ``workers`` at a time, the longest
    kinds first; the work is in the simulators' and synthesis tools' own processes, so threads suffice."""
    order = sorted(jobs, key=lambda k: JOB_ORDER.index(k[1]))
    results = {}
    with ThreadPoolExecutor(max(1, workers)) as pool, progress_bar(total=len(order), desc="compare", unit="job") as bar:
        futures = {pool.submit(jobs[k]): k for k in order}
        for done in as_completed(futures):
            results[futures[done]] = done.result()
            bar.update(1)
    return results


def compare(manifest, sims: tuple[str, ...] = SIMULATORS, vectors: int = 4, out="reports/compare", synth: bool = True,
            ecp5_part: str = "85k", also=(), workers: int | None = None, also_fmax: bool = False) -> dict:
    """Run every design of `DESIGNS` on ``manifest`` (an exact-TTFS export), and the spiking design of each export
    in ``also``, ``workers`` jobs at a time (default: one per CPU), and write the comparison report. ``synth``:
    the xc7 area of every design, the ECP5 Fmax of `DESIGNS` (and of ``also``'s with ``also_fmax``)."""
    start = time.perf_counter()
    manifest, out, sims = Path(manifest), Path(out), tuple(sims)
    export = load(manifest)
    if export.config.neuron != "ramp":
        raise UserError(f"{manifest} is a {export.config.neuron!r} network; the comparison needs an exact-TTFS export "
                        "(spikegan convert, the default, or make exact for the FPGA and iCE40 networks)")
    vectors = min(vectors, len(export.vectors))
    entries = [Entry(export, d, LABELS[d], d, vectors) for d in DESIGNS]
    for k, path in enumerate(map(Path, also)):
        other = load(path)
        if other.config.sizes != export.config.sizes:
            raise UserError(f"--also {path}: a {'-'.join(map(str, other.config.sizes))} network, not the "
                            f"{'-'.join(map(str, export.config.sizes))} one compared")
        entries.append(Entry(other, "snn", other_label(other), f"also{k + 1}", min(vectors, len(other.vectors))))
    jobs = {}
    for entry in entries:
        targets = SYNTH_TARGETS if entry.folder in DESIGNS or also_fmax else ("xc7",)
        jobs |= entry.jobs(sims, out, targets if synth else (), ecp5_part)
    workers = workers or os.cpu_count() or 1
    results = run_jobs(jobs, workers)
    ops = op_counts(export, vectors)
    rows = []
    for entry in entries:
        parts = [results[(entry.folder, t)] for t in SYNTH_TARGETS if (entry.folder, t) in results]
        row = entry.row(results[(entry.folder, "verify")], {k: v for p in parts for k, v in p.items()} if parts else None)
        row["ops"] = ops[entry.design] if entry.folder in DESIGNS else other_op_counts(entry.export, entry.vectors)
        row["op_count_energy_uj"] = op_count_energy(entry.export.config, **row["ops"])
        rows.append(row)
    report = {"manifest": str(manifest), "network": "-".join(map(str, export.config.sizes)),
              "config": export.config.to_dict(), "simulators": list(sims), "vectors": vectors, "rows": rows,
              "image_quality": _quality(manifest), "ratios": ratios(rows),
              "leakage_clock_mhz": LEAKAGE_CLOCK_MHZ, "seconds": round(time.perf_counter() - start, 1), "workers": workers,
              "machine": machine()}
    out.mkdir(parents=True, exist_ok=True)
    figure(report, out / "compare.png")
    write_json_and_markdown(out / "compare.json", report, markdown(report), out / "compare.md", indent=2)
    return report


def _quality(manifest: Path) -> dict | None:
    """The export's conversion report's FID at its exported point, if the export has one."""
    import json

    path = manifest.parent / "report" / "exact.json"
    if not path.is_file():
        return None
    rep = json.loads(path.read_text())
    t, clip = rep["export"]["config"]["timesteps"], rep["export"]["clip"]
    row = next((r for r in rep["sweep"] if (r["timesteps"], r["clip"]) == (t, clip)), {})
    return {"fid": row.get("fid_fixed"), "fid_ann": rep.get("fid_ann"), "images": rep["images"], "source": str(path)}


def ratios(rows: list[dict]) -> dict[str, dict]:
    """Every design's energy (activity, and each op-count model) and cycles over the zero-skipping twin's."""
    base = next(r for r in rows if r["key"] == BASELINE)
    out = {}
    for r in rows:
        out[r["key"]] = {
            "energy_activity": sum(r["energy_pj"].values()) / sum(base["energy_pj"].values()),
            **{f"energy_{m}": r["op_count_energy_uj"][m] / base["op_count_energy_uj"][m] for m in MODELS},
            "cycles": r["cycles"] / base["cycles"],
        }
    return out


def _fmt(v, spec: str) -> str:
    return "n/a" if v is None else format(v, spec)


def _nj(pj: float) -> str:
    """Picojoules as nanojoules, three significant figures or whole numbers."""
    nj = pj / 1e3
    return f"{nj:,.0f}" if nj >= 100 else f"{nj:.3g}"


def markdown(report: dict) -> str:
    rows, ratio = report["rows"], report["ratios"]
    q = report["image_quality"]
    lines = [f"# Should this network spike? {report['network']}", "",
             f"The exact-TTFS export `{report['manifest']}` as a spiking generator and as its two ANN twins, on the same "
             f"{report['vectors']} test vectors under {' and '.join(report['simulators'])}; other exports of the network "
             "below them, each checked against its own golden model. Energy from activity counts "
             "each design's "
             "slots and changed register bits in simulation and prices their memory accesses, arithmetic, every "
             f"flip-flop's clock and the leakage of every stored bit (at an assumed {report['leakage_clock_mhz']:g} "
             "MHz clock) at 45 nm (docs/energy.md); the two "
             "op-count models count operations only (`model.snn.energy`).", ""]
    if q:
        lines += [f"Image quality: the SNN's classifier FID {_fmt(q['fid'], '.2f')} (the float ANN's "
                  f"{_fmt(q['fid_ann'], '.2f')}, {q['images']:,} images, `{q['source']}`); the twins compute the same "
                  "integers, so their images are the SNN's.", ""]
    head = "| design | bit-exact, counters agree | cycles / image | " + " | ".join(f"{c} (nJ)" for c in COMPONENTS)
    head += " | activity total (nJ) | literature (nJ) | integer + memory (nJ) |"
    lines += [head, "|" + "---|" * (head.count("|") - 1)]
    for r in rows:
        e = r["energy_pj"]
        exact = ", ".join(f"{sim} {'yes' if ok else 'NO'}" for sim, ok in r["bit_exact"].items())
        lines.append(f"| {r['label']} | {exact} ({r['vectors']}); {'yes' if r['activity_agrees'] else 'NO'} | "
                     f"{r['cycles']:,.0f} | "
                     + " | ".join(_nj(e[c]) for c in COMPONENTS)
                     + f" | {_nj(sum(e.values()))} | {_nj(r['op_count_energy_uj']['literature'] * 1e6)} | "
                       f"{_nj(r['op_count_energy_uj']['integer_memory'] * 1e6)} |")
    if all("synth" in r for r in rows):
        lines += ["", "| design | xc7 LUT | FF | RAMB36 eq. | DSP | ECP5 Fmax (MHz) | images / s |", "|---|---|---|---|---|---|---|"]
        for r in rows:
            s = r["synth"]
            lines.append(f"| {r['label']} | {s['lut']:,} | {s['ff']:,} | {s['bram36_equiv']} | {s['dsp']} | "
                         f"{_fmt(s.get('ecp5_fmax_mhz'), '.1f')} | {_fmt(r.get('images_per_s'), ',.0f')} |")
        if any("ecp5_target" not in r["synth"] for r in rows):
            lines += ["", "The other exports are synthesised for their area only; `--also-fmax` places and routes "
                          "them too (`make exact` reports theirs)."]
    lines += ["", "Against the zero-skipping ANN twin:", ""]
    for r in rows:
        if r["key"] == BASELINE:
            continue
        x = ratio[r["key"]]
        lines.append(f"- {r['label']}: {x['energy_activity']:.2f}x its energy from activity, "
                     f"{x['energy_literature']:.2f}x under the literature convention, {x['energy_integer_memory']:.2f}x "
                     f"under integer + memory; {x['cycles']:.2f}x its cycles per image.")
    lines += ["", "![energy per image by component](compare.png)", "",
              f"Made in {report['seconds']:.0f} s on {report['machine']['cpus']} CPU(s), {report['machine']['date']}."]
    return "\n".join(lines) + "\n"


def figure(report: dict, path: Path) -> Path:
    """Energy per image by component (stacked bars, activity model), one bar per design."""
    plt = pyplot()
    rows = report["rows"]
    fig, ax = plt.subplots(figsize=(1.6 * len(rows) + 2, 3.8))
    bottom = np.zeros(len(rows))
    for comp in COMPONENTS:
        vals = np.array([r["energy_pj"][comp] / 1e3 for r in rows])
        ax.bar([r["label"].replace(", ", ",\n").replace(" SNN", "\nSNN") for r in rows], vals, bottom=bottom, label=comp)
        bottom += vals
    ax.set_ylabel("energy per image (nJ, activity model)")
    fig.suptitle(f"{report['network']}, exact TTFS vs its ANN twins: energy per image by component", fontsize=9)
    ax.legend(fontsize=8)
    fig.tight_layout()
    save_figure(fig, path, dpi=120)
    return path


def add_arguments(parser) -> None:
    add_manifest(parser, "an exact-TTFS export (make exact writes the FPGA network's, "
                 "weights/gan-mnist-fpga/snn-ramp/manifest.json)")
    parser.add_argument("--sims", default=",".join(SIMULATORS),
                        help="comma-separated simulators, each runs every design (cycles and energy from the first)")
    parser.add_argument("--vectors", type=int, default=4, help="test vectors each design runs, the first N of the export")
    parser.add_argument("--no-synth", action="store_true", help="skip synthesis (the full generator fits no FPGA)")
    parser.add_argument("--ecp5-part", default="85k", help="ECP5 part for the Fmax")
    parser.add_argument("--also", nargs="*", default=[], metavar="MANIFEST",
                        help="exports of the same network by other converters (rate-coded, direct-coded, trained TTFS), "
                             "compared as spiking designs of their own")
    parser.add_argument("--also-fmax", action="store_true",
                        help="place and route the --also exports on the ECP5 too (their Fmax and images per second)")
    parser.add_argument("--jobs", type=int, default=None,
                        help="simulations and syntheses run at once (default: one per CPU)")
    add_out(parser, "reports/compare", "output folder: the report, and each design's verification and synthesis")


def run(args) -> int:
    sims = tuple(s.strip() for s in args.sims.split(",") if s.strip())
    bad = [s for s in sims if s not in SIMULATORS]
    if bad or not sims:
        raise UserError(f"--sims {args.sims!r}: a comma-separated list of {', '.join(SIMULATORS)}")
    if args.jobs is not None and args.jobs < 1:
        raise UserError(f"--jobs {args.jobs}: at least 1")
    report = compare(args.manifest, sims, args.vectors, args.out, not args.no_synth, args.ecp5_part, args.also,
                     args.jobs, args.also_fmax)
    print(markdown(report))
    print(f"report: {args.out}/compare.md, compare.json, compare.png")
    return 0 if all_checks_pass(report) else 1


def all_checks_pass(report: dict) -> bool:
    """Every design bit-exact under every simulator, with the same activity counts under each."""
    return all(all(r["bit_exact"].values()) and r["activity_agrees"] for r in report["rows"])
