"""``spikegan sweep-cycles`` (``make sweep-cycles``): simulated cycles per image against the lane count ``P``,
every P checked bit-exact (the synthesis sweep, with area and Fmax, is `verify.synth_sweep`)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from hw.synth import CLOCK_MHZ
from model.common.errors import UserError
from model.common.jsonio import write_json_and_markdown
from model.common.options import add_manifest, add_out, add_sim
from model.common.runinfo import machine
from model.snn.export import load
from verify.figures import cycles_sweep_png
from verify.flow import ImageBar, plan_images
from verify.sim import check_simulator
from verify.system import run_generator, sim_build


LEGEND = ("The lower bound is what no run can beat (the busiest chain of one layer's work and what the other layers "
          "must do before and after it, docs/hardware-architecture.md); the serial sum is the layers' work one after "
          "another, which the pipelined layers beat; the busiest layer is the largest single layer's work. "
          f"Time at {CLOCK_MHZ:g} MHz, the clock `spikegan synth` constrains its ECP5 and Artix-7 builds to.")


def check_lanes(lanes: list[int]) -> list[int]:
    """``lanes`` if every entry is a lane count >= 1, else a `UserError` naming the bad one."""
    bad = [p for p in lanes if p < 1]
    if not lanes or bad:
        raise UserError(f"lane counts must be >= 1, got {bad or 'none'}")
    return lanes


def parse_lanes(text: str) -> list[int]:
    """``"1,4,16"`` -> ``[1, 4, 16]``, or a `UserError` naming the bad text."""
    try:
        return check_lanes([int(p) for p in text.split(",")])
    except ValueError:
        raise UserError(f"--sweep-lanes must be comma-separated integers, got {text!r}") from None


def cycles_sweep(manifest, sim: str, lanes: list[int], vectors: int, out_dir, build_root="sim_builds") -> dict:
    """Cycles per image for each lane count ``P`` (the output layer monitored, counts of every layer checked)."""
    check_lanes(lanes)
    check_simulator(sim)
    export = load(manifest)
    plan = plan_images(len(export.vectors), vectors, "rom")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    rows = []
    for p in lanes:
        print(f"P = {p}: building ...", flush=True)
        build = sim_build(export, build_root, p)
        bar = ImageBar(len(plan), f"{sim} P={p}")
        try:
            result, _ = run_generator(
                export, sim, build, plan, monitor_layers=[export.config.layers],
                log=out_dir / f"{sim}-p{p}.log", progress=bar,
            )
        finally:
            bar.close()
        ims = result["images"]
        rows.append(
            {
                "lanes": p,
                "cycles": float(np.mean([i["cycles"] for i in ims])),
                "lower_bound": float(np.mean([i["cycle_budget"]["lower_bound"] for i in ims])),
                "serial_sum": float(np.mean([i["cycle_budget"]["serial_sum"] for i in ims])),
                "busiest_layer": float(np.mean([i["cycle_budget"]["busiest_layer"] for i in ims])),
                "wall_s": float(np.mean([i["wall_s"] for i in ims])),
                "ok": all(i["ok"] for i in ims) and not result.get("error"),
            }
        )
        rows[-1]["cycles_over_bound"] = rows[-1]["cycles"] / rows[-1]["lower_bound"]
        rows[-1]["us_at_clock"] = rows[-1]["cycles"] / CLOCK_MHZ
    report = {"manifest": str(manifest), "simulator": sim, "vectors": vectors, "clock_mhz": CLOCK_MHZ, "rows": rows,
              "ok": all(r["ok"] for r in rows), "machine": machine()}
    what = f"{export.path.resolve().parent.parent.name}: {export.config.describe(lanes=False)}"
    fig = cycles_sweep_png(out_dir / "cycles_sweep.png", rows, f"Cycles per image against the lanes P; {what}")
    report["figures"] = [fig.name]
    lines = [
        f"# Cycles per image against P ({sim}, {vectors} test vector(s) per P, `{manifest}`)",
        "",
        f"{what}.",
        "",
        f"| P | cycles / image | us at {CLOCK_MHZ:g} MHz | lower bound | cycles / lower bound | serial sum | "
        "busiest layer | wall s / image | match |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r['lanes']} | {r['cycles']:,.0f} | {r['us_at_clock']:,.2f} | {r['lower_bound']:,.0f} | "
            f"{r['cycles_over_bound']:.3f} | {r['serial_sum']:,.0f} | {r['busiest_layer']:,.0f} | {r['wall_s']:.1f} | "
            f"{'yes' if r['ok'] else 'NO'} |"
        )
    lines += ["", LEGEND, "", f"![cycles against P]({fig.name})", ""]
    write_json_and_markdown(out_dir / "cycles_sweep.json", report, "\n".join(lines), out_dir / "cycles_sweep.md",
                            indent=1)
    return report


def add_arguments(parser) -> None:
    add_manifest(parser)
    add_sim(parser)
    parser.add_argument("--sweep-lanes", default="1,4,16,64", help="comma-separated lane counts P")
    parser.add_argument("--vectors", type=int, default=2, help="test vectors per P, the first N of the export")
    add_out(parser, "reports/sweep-cycles")
    parser.add_argument("--build-root", default="sim_builds", help="where RTL and simulator builds go")


def run(args) -> int:
    report = cycles_sweep(args.manifest, args.sim, parse_lanes(args.sweep_lanes), args.vectors, args.out, args.build_root)
    print((Path(args.out) / "cycles_sweep.md").read_text())
    return 0 if report["ok"] else 1
