"""``spikegan synth`` / ``python -m hw synth`` (``make synth``): synthesise the exported generator, compare with the paper.

    spikegan synth --manifest weights/gan-mnist-fpga/snn/manifest.json \
        --targets xc7,ecp5,asic,vivado --out reports/synth

`synth_report` (which ``spikegan.api.synthesise`` calls too) writes
``synth_report.json``, ``synth_report.md`` (the paper's Table III beside ours,
row by row) and, when xc7 or asic is run, ``synth_report.png`` (the same as
bars) in ``--out`` (default ``reports/synth``), beside the RTL and each
target's tool outputs. The lane sweep, which also simulates each design for its
cycles per image, is ``spikegan sweep-synth`` (`verify.synth_sweep`).
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from hw.build import DESIGNS, build
from hw.synth import ECP5_PARTS, ICE40_PARTS, PAPER, TARGETS, design_from_rtl, synthesize
from model.common.errors import UserError
from model.common.jsonio import write_json_and_markdown
from model.common.options import add_manifest, add_out
from model.common.plots import pyplot, save_figure, wrap
from model.common.runinfo import machine
from model.snn.config import SnnConfig
from model.snn.export import load

DEFAULT_TARGETS = ("xc7", "ecp5", "asic", "vivado")


def build_rtl(manifest: Path, out: Path, lanes: int | None = None, stored_trains: bool = True, design: str = "snn"):
    """The FPGA top's RTL (`hw.fpga_top.FpgaTop`, around ``design``) for ``manifest`` at ``lanes``: its network and
    `Design`."""
    export = load(manifest).with_lanes(lanes)
    build(export, out, run_lint=False, fpga=True, stored_trains=stored_trains, design=design)
    return export.net, design_from_rtl(out)


def options(target: str, ecp5_part: str, ecp5_speed: int) -> dict:
    """Options of ``target`` from the command line: the ECP5 part and speed grade (iCE40's part is passed apart)."""
    return {"part": ecp5_part, "speed": ecp5_speed} if target == "ecp5" else {}


def run_targets(manifest: Path, out: Path, targets: list[str], ecp5_part: str, ecp5_speed: int,
                ice40_manifest: Path | None, ice40_part: str, lanes: int | None = None, twin: str = "snn") -> dict:
    net, design = build_rtl(manifest, out / "rtl", lanes, design=twin)
    results = {"manifest": str(manifest), "network": "-".join(map(str, net.config.sizes)),
               "config": net.config.to_dict(), "top": design.top, "design": twin, "targets": {}}
    for target in targets:
        print(f"[synth] {target} ...", flush=True)
        if target == "ice40":
            if ice40_manifest is None:
                raise UserError("iCE40 needs --ice40-manifest: a network small enough for its block RAM "
                                "(make train-ice40 convert-ice40 makes 100-16-16-784 with 4-bit weights)")
            if not ice40_manifest.exists():
                raise UserError(f"iCE40 manifest {ice40_manifest} not found; run 'make train-ice40 convert-ice40' first.")
            inet, idesign = build_rtl(ice40_manifest, out / "rtl-ice40", stored_trains=False, design=twin)
            r = synthesize(idesign, "ice40", out / "ice40", part=ice40_part)
            c = inet.config
            r["network"] = "-".join(map(str, c.sizes))
            r["config"] = f"{r['network']}, {c.weight_bits}-bit weights, {c.membrane_bits}-bit membranes, P = {c.lanes}, on-chip encoder only"
        else:
            r = synthesize(design, target, out / target, **options(target, ecp5_part, ecp5_speed))
        r.pop("cells", None)
        results["targets"][target] = r
        print(f"[synth] {target}: done in {r['seconds']} s", flush=True)
    return results


def synth_report(manifest, out="reports/synth", targets=DEFAULT_TARGETS, ecp5_part: str = "45k", ecp5_speed: int = 8,
                 ice40_manifest=None, ice40_part: str = "hx8k", lanes: int | None = None, design: str = "snn") -> dict:
    """Synthesise the generator of ``manifest`` (at ``lanes``; ``design``: or its ANN twin, `hw.build.DESIGNS`) for
    ``targets`` into ``out`` and write the report beside the paper's Table III; returns the report."""
    manifest = Path(manifest)
    bad = [t for t in targets if t not in TARGETS]
    if bad:
        raise UserError(f"unknown target(s) {bad}; choose from {', '.join(TARGETS)}.")
    load(manifest)  # a missing or broken export is refused before anything is written
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    results = run_targets(manifest, out, list(targets), ecp5_part, ecp5_speed,
                          None if ice40_manifest is None else Path(ice40_manifest), ice40_part, lanes, design)
    results["paper"] = PAPER
    results["seconds"] = round(time.perf_counter() - start, 1)
    results["machine"] = machine()
    figure = out / "synth_report.png"
    if comparison_rows(results):
        plot_comparison(results, figure)
    else:  # no xc7 or asic run: nothing to plot, and no figure left from an earlier run
        figure.unlink(missing_ok=True)
    write_json_and_markdown(out / "synth_report.json", results, markdown(results), out / "synth_report.md", indent=2)
    return results


def markdown(results: dict) -> str:
    """The report's Markdown: the table, and the figure when there is one."""
    figure = "\n![paper vs ours](synth_report.png)\n" if comparison_rows(results) else ""
    return table_md(results) + figure


def _core(results: dict) -> str:
    """What the FPGA top wraps, in words."""
    return {"ann-dense": "ANN twin (dense)", "ann-skip": "ANN twin (zero-skipping)"}.get(results.get("design"), "generator")


def table_md(results: dict) -> str:
    t = results["targets"]
    rows = ["| resource | paper (Vivado 2019.1, Artix-100T) | ours | note |", "|---|---|---|---|"]
    head = [f"# Synthesis report: {results['network']}", "",
            f"Top `{results['top']}`: the {_core(results)} behind a narrow registered pin interface (hw/fpga_top.py).", ""]
    if "xc7" in t:
        res = t["xc7"]["resources"]
        for key, name in (("lut", "LUT"), ("lutram", "LUTRAM"), ("ff", "FF")):
            rows.append(f"| {name} | {PAPER['xc7'][key]:,} | {res[key]:,} | Yosys synth_xilinx{' (LUT count is a proxy for Vivado)' if key == 'lut' else ''} |")
        rows.append(f"| RAMB36 / RAMB18 | not reported | {res['ramb36']} / {res['ramb18']} | block RAM (the paper kept weights in LUTRAM) |")
        rows.append(f"| DSP48E1 | not reported | {res['dsp']} | |")
    if "asic" in t:
        a = t["asic"]
        rows.append(f"| ASIC logic | {PAPER['asic']['area_um2']:,} um^2 (45 nm, DC) | {a['transistors']:,} transistors | Yosys generic CMOS estimate, not an area |")
        rows.append(f"| memory bits | {PAPER['asic']['memory_bits']:,} | {a['memory_bits']:,} | |")
    for target in ("ecp5", "ice40"):
        if target in t:
            r = t[target]
            util = ", ".join(f"{k} {v['used']}/{v['available']}" for k, v in r["utilization"].items()
                             if k not in ("DCCA", "SB_GB"))
            what = f" ({r['config']})" if "config" in r else ""
            rows.append(f"| {r['target']}{what} | - | Fmax {r['fmax_min_mhz']} MHz "
                        f"({'meets' if r['timing_met'] else 'misses'} {r['freq_constraint_mhz']:g} MHz) | {util}; bitstream `{r['bitstream']}` |")
    lines = [*head, *rows, ""]
    if "vivado" in t:
        lines.append(f"Vivado project: `{t['vivado']['script']}` (run `{t['vivado']['run']}` there; not run here).")
    return "\n".join(lines) + "\n"


def comparison_rows(results: dict) -> list[tuple[str, int, int]]:
    """(resource, paper, ours) for what compares directly: xc7 LUT/LUTRAM/FF, memory bits."""
    t, rows = results["targets"], []
    if "xc7" in t:
        res = t["xc7"]["resources"]
        rows += [(name, PAPER["xc7"][key], res[key]) for key, name in (("lut", "LUT"), ("lutram", "LUTRAM"), ("ff", "FF"))]
    if "asic" in t:
        rows.append(("memory bits", PAPER["asic"]["memory_bits"], t["asic"]["memory_bits"]))
    return rows


def plot_comparison(results: dict, path: Path) -> None:
    """Paper vs ours, one pair of bars per resource (log scale: LUTRAM goes from thousands to hundreds)."""
    plt = pyplot()
    rows = comparison_rows(results)
    x = np.arange(len(rows))
    fig, ax = plt.subplots(figsize=(1.6 * len(rows) + 2, 3.6))
    for k, (label, offset) in enumerate((("paper (Vivado, Artix-100T)", -0.2), ("ours (Yosys)", 0.2))):
        values = [r[1 + k] for r in rows]
        bars = ax.bar(x + offset, values, width=0.4, label=label)
        ax.bar_label(bars, labels=[f"{v:,}" for v in values], fontsize=7)
    ax.set_xticks(x, [r[0] for r in rows])
    ax.set_yscale("log")
    ax.set_ylabel("count (LUTs, flip-flops, memory bits; log scale)")
    fig.suptitle(wrap(f"Resources of the generator's FPGA top, the paper's Table III vs ours: "
                               f"{SnnConfig.from_dict(results['config']).describe()}", 90), fontsize=9)
    ax.legend(fontsize=8)
    fig.tight_layout()
    save_figure(fig, path, dpi=120)


def add_arguments(parser) -> None:
    add_manifest(parser, "make convert writes it, make convert-fpga the paper's FPGA network")
    add_out(parser, "reports/synth", "output folder: the report, the RTL and each target's tool outputs")
    parser.add_argument("--targets", default=",".join(DEFAULT_TARGETS), help=f"comma-separated, of {', '.join(TARGETS)}")
    parser.add_argument("--ecp5-part", default="45k", choices=sorted(ECP5_PARTS), help="ECP5 part")
    parser.add_argument("--ecp5-speed", type=int, default=8, choices=(6, 7, 8),
                        help="ECP5 speed grade: 8 the fastest, 6 the slowest and nextpnr's own choice")
    parser.add_argument("--ice40-manifest", type=Path, default=None,
                        help="a smaller network for iCE40, which the paper's does not fit; make convert-ice40 writes it "
                             "(default: none, and the ice40 target is refused)")
    parser.add_argument("--ice40-part", default="hx8k", choices=sorted(ICE40_PARTS), help="iCE40 part")
    parser.add_argument("--design", choices=DESIGNS, default="snn",
                        help="snn: the spiking generator; ann-dense / ann-skip: an exact-TTFS export's ANN twin")


def run(args) -> int:
    start = time.perf_counter()
    targets = [t.strip() for t in args.targets.split(",") if t.strip()]
    out = Path(args.out)
    results = synth_report(args.manifest, out, targets, args.ecp5_part, args.ecp5_speed, args.ice40_manifest,
                           args.ice40_part, design=args.design)
    print(markdown(results))
    print(f"[synth] wrote {out} in {time.perf_counter() - start:.0f} s")
    return 0
