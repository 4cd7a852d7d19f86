"""``spikegan sweep-synth`` (``make sweep-synth``): area, Fmax and measured cycles per image against P.

For each lane count ``P`` the FPGA top is synthesised for the xc7 (Yosys) and
placed and routed on the ECP5 (nextpnr), and the generator is simulated on
one test vector, checked bit-exact against the golden model, for its cycles
per image; images per second follow at the ECP5 Fmax.
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from hw.synth import ECP5_PARTS, synthesize
from hw.synth_report import build_rtl, options
from model.common.errors import UserError
from model.common.jsonio import write_json_and_markdown
from model.common.options import add_manifest, add_out, add_sim
from model.common.plots import pyplot, save_figure, wrap
from model.snn.export import load
from verify.cycles_sweep import check_lanes, parse_lanes
from verify.system import run_generator, sim_build


def synth_sweep(manifest: Path, out: Path, lanes: list[int], ecp5_part: str, ecp5_speed: int, sim: str) -> list[dict]:
    """Area (xc7), Fmax (ECP5) and measured cycles per image (bit-exact run) for each lane count P.

    The Yosys/nextpnr runs go two at a time (each tool is single-threaded).
    """
    check_lanes(lanes)
    export = load(manifest)
    designs = {p: build_rtl(manifest, out / f"p{p}" / "rtl", lanes=p)[1] for p in lanes}
    # place and route of the largest design first: it takes longest, the rest run beside it
    jobs = [(p, "ecp5") for p in sorted(lanes, reverse=True)] + [(p, "xc7") for p in lanes]

    def run(job):
        p, target = job
        r = synthesize(designs[p], target, out / f"p{p}" / target, **options(target, ecp5_part, ecp5_speed))
        print(f"[sweep] P = {p}: {target} done in {r['seconds']} s", flush=True)
        return r

    with ThreadPoolExecutor(2) as pool:
        reports = dict(zip(jobs, pool.map(run, jobs)))
    rows = []
    for p in lanes:
        simbuild = sim_build(export, out / "sim", lanes=p)
        result, _ = run_generator(export, sim, simbuild, [{"vector": 0, "encode": 0}])
        if result["error"]:
            raise UserError(f"P = {p}: the RTL does not match the golden model: {result['error']}")
        img = result["images"][0]
        xc7, ecp5 = reports[(p, "xc7")]["resources"], reports[(p, "ecp5")]
        cycles, fmax = int(img["cycles"]), ecp5["fmax_min_mhz"]
        util = ecp5["utilization"]
        rows.append({"lanes": p, "lut": xc7["lut"], "ff": xc7["ff"], "lutram": xc7["lutram"],
                     "bram36_equiv": xc7["bram36_equiv"], "ecp5_lut4": util.get("TRELLIS_COMB", {}).get("used"),
                     "ecp5_dp16kd": util.get("DP16KD", {}).get("used"), "ecp5_fmax_mhz": fmax,
                     "cycles_per_image": cycles, "lower_bound_cycles": int(img["cycle_budget"]["lower_bound"]),
                     "images_per_s": round(fmax * 1e6 / cycles, 1) if fmax else None})
        print(f"[sweep] P = {p}: {rows[-1]}", flush=True)
    return rows


def plot_sweep(rows: list[dict], path: Path, title: str) -> None:
    """LUTs against images per second at Fmax, one point per lane count."""
    from matplotlib import ticker

    plt = pyplot()
    fig, ax = plt.subplots(figsize=(5, 4))
    ax.plot([r["images_per_s"] for r in rows], [r["lut"] for r in rows], "o-")
    for r in rows:
        ax.annotate(f"P={r['lanes']}", (r["images_per_s"], r["lut"]), textcoords="offset points", xytext=(5, 5))
    ax.set_xscale("log")
    ax.margins(x=0.2, y=0.1)  # room for the labels of the end points
    ax.xaxis.set_major_locator(ticker.LogLocator(subs=(1, 3)))
    ax.xaxis.set_major_formatter(ticker.StrMethodFormatter("{x:,.0f}"))
    ax.xaxis.set_minor_formatter(ticker.NullFormatter())
    ax.set_xlabel("images / s at ECP5 Fmax")
    ax.set_ylabel("LUTs (Yosys synth_xilinx)")
    fig.suptitle(wrap(title, 60), fontsize=9)
    ax.grid(True, which="both", alpha=0.3)
    fig.tight_layout()
    save_figure(fig, path, dpi=120)


def markdown(rows: list[dict], title: str) -> str:
    md = [f"# {title}", "",
          "| P | xc7 LUT | xc7 FF | xc7 LUTRAM | xc7 BRAM36 eq. | ECP5 LUT4 | ECP5 DP16KD | ECP5 Fmax (MHz) "
          "| cycles/image | lower bound | images/s at Fmax |",
          "|---|---|---|---|---|---|---|---|---|---|---|"]
    md += [f"| {r['lanes']} | {r['lut']:,} | {r['ff']:,} | {r['lutram']} | {r['bram36_equiv']} | "
           f"{r['ecp5_lut4']:,} | {r['ecp5_dp16kd']} | {r['ecp5_fmax_mhz']} | {r['cycles_per_image']:,} | "
           f"{r['lower_bound_cycles']:,} | {r['images_per_s']:,} |"
           for r in rows]
    return "\n".join(md) + "\n"


def add_arguments(parser) -> None:
    add_manifest(parser, "make convert writes it, make convert-fpga the paper's FPGA network")
    parser.add_argument("--sweep-lanes", default="1,4,16,64", help="comma-separated lane counts P")
    parser.add_argument("--ecp5-part", default="85k", choices=sorted(ECP5_PARTS), help="ECP5 part")
    parser.add_argument("--ecp5-speed", type=int, default=8, choices=(6, 7, 8), help="ECP5 speed grade, 8 the fastest")
    add_sim(parser, "simulator of the cycle count")
    add_out(parser, "reports/sweep-synth")


def run(args) -> int:
    """The sweep, ``synth_sweep.json``, ``synth_sweep.md`` and ``synth_sweep.png`` in ``--out/``."""
    lanes = parse_lanes(args.sweep_lanes)
    c = load(args.manifest).config
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    rows = synth_sweep(Path(args.manifest), out / "sweep", lanes, args.ecp5_part, args.ecp5_speed, args.sim)
    title = (f"Synthesis sweep over P: {c.describe(lanes=False)}; xc7a100t (Yosys) and "
             f"{ECP5_PARTS[args.ecp5_part]}-{args.ecp5_speed} (nextpnr)")
    plot_sweep(rows, out / "synth_sweep.png", title)
    md = markdown(rows, title) + "\n![synthesis sweep](synth_sweep.png)\n"
    write_json_and_markdown(out / "synth_sweep.json", rows, md, out / "synth_sweep.md", indent=2)
    print(md)
    print(f"[sweep] wrote {out} in {time.perf_counter() - start:.0f} s")
    return 0
