"""``spikegan board-sim`` (``make board-sim``): the board top's whole link in simulation, on a board's network.

Runs the link testbench (`verify.tb.board_link`) on the export's board top under each simulator, with a fast
UART: INFO, images from stored vectors, loaded and drawn noise (each bit-exact with the golden model or the run
fails), and every kind of bad frame (`verify.board.bad_frames`), each refused by name. From the frames' lengths
and the simulated cycles it states the throughput on the board at its baud rate and clock: images per second,
and whether the link or the generator bounds it. Writes ``board-sim.json`` and ``board-sim.md`` to ``--out``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from hw.board import BOARDS, DEFAULT_BAUD
from hw.board_top import link_shape
from hw.build import DESIGNS
from hw.protocol import CYCLE_BYTES
from model.common.errors import UserError
from model.common.jsonio import dumps
from model.common.options import add_manifest
from model.common.runinfo import machine
from model.snn.export import load
from verify.board import board_sim_build, link_items, run_link
from verify.sim import SIMULATORS

FRAME_BYTES = 5  # sync, code, two length bytes, CRC
BITS_PER_BYTE = 10  # 8N1


def add_arguments(parser) -> None:
    parser.add_argument("--board", choices=sorted(BOARDS), required=True,
                        help="the board whose clock and baud rate the throughput is stated at")
    add_manifest(parser)
    parser.add_argument("--design", choices=DESIGNS, default="snn", help="snn or an ANN twin (default: snn)")
    parser.add_argument("--sims", default=",".join(SIMULATORS), help=f"simulators, comma-separated (default: {','.join(SIMULATORS)})")
    parser.add_argument("--baud", type=int, default=DEFAULT_BAUD, help=f"the board's baud rate (default: {DEFAULT_BAUD})")
    parser.add_argument("--out", default=None, help="report folder (default: reports/board-sim/<board>)")


def throughput(shape, cycles: float, clock_hz: float, baud: int) -> dict:
    """Images per second of a SEED image (4-byte request) at ``baud`` and ``clock_hz``: the link's bytes and the
    generator's cycles, one after the other."""
    link_s = (FRAME_BYTES + 4 + FRAME_BYTES + CYCLE_BYTES + shape.n_outputs * shape.value_bytes) * BITS_PER_BYTE / baud
    compute_s = cycles / clock_hz
    return {"link_s": link_s, "compute_s": compute_s, "images_per_s": 1 / (link_s + compute_s),
            "bound": "link" if link_s > compute_s else "compute"}


def markdown(r: dict) -> str:
    t = r["throughput"]
    lines = [f"# The {r['board']} link in simulation: {r['design']} of `{r['manifest']}`", ""]
    for sim, s in r["sims"].items():
        lines.append(f"- {sim}: {s['bit_exact']} of {s['images']} images bit-exact with the golden model; "
                     f"{s['refused']} of {s['bad_frames']} bad frames refused with the expected error")
    lines += [f"- {r['cycles_per_image']:,.0f} cycles per image on average; at {r['clock_hz'] / 1e6:g} MHz and "
              f"{r['baud']:,} baud: {t['images_per_s']:.1f} images/s, {t['bound']}-bound (link "
              f"{t['link_s'] * 1e3:.1f} ms, generator {t['compute_s'] * 1e3:.3f} ms per image)", ""]
    return "\n".join(lines)


def run(args) -> int:
    sims = [s for s in args.sims.split(",") if s]
    if not sims or any(s not in SIMULATORS for s in sims):
        raise UserError(f"--sims: a comma-separated list of {', '.join(SIMULATORS)}, got {args.sims!r}")
    export = load(args.manifest)
    out = Path(args.out or f"reports/board-sim/{args.board}")
    out.mkdir(parents=True, exist_ok=True)
    items = link_items(export)
    report = {"board": args.board, "manifest": str(args.manifest), "design": args.design, "baud": args.baud,
              "sims": {}, "machine": machine()}
    cycles = []
    for sim in sims:
        result = run_link(export, sim, board_sim_build(export, Path("sim_builds") / "board-sim", args.design), items)
        rows = result["items"]
        images = [r for r, i in zip(rows, items) if i["kind"] in ("stored", "load", "seed")]
        bad = [r for r, i in zip(rows, items) if i["kind"] == "raw"]
        report["sims"][sim] = {"images": len(images), "bit_exact": sum(r["ok"] for r in images),
                               "bad_frames": len(bad), "refused": sum(r["ok"] for r in bad),
                               "error": result["error"], "items": rows}
        cycles += [r["cycles"] for r in images if "cycles" in r]
    clock = BOARDS[args.board].make_platform().default_clk_frequency
    shape = link_shape(export.net, len(export.vectors), args.design)
    report |= {"clock_hz": clock, "cycles_per_image": float(np.mean(cycles)),
               "throughput": throughput(shape, float(np.mean(cycles)), clock, args.baud)}
    (out / "board-sim.json").write_text(dumps(report))
    (out / "board-sim.md").write_text(markdown(report))
    print(markdown(report), end="")
    return 0 if all(not s["error"] for s in report["sims"].values()) else 1
