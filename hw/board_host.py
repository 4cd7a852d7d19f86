"""``spikegan board``: images from a board over its serial port, each checked against the golden model bit for bit.

Opens ``--port`` (pyserial), checks that the board holds the export's network (INFO), runs every stored test
vector and ``--images`` fresh noise vectors drawn on chip from seeds, and compares each image's values (spike
counts, or spike times for a TTFS design) with the golden model's. Writes ``board-run.json``, ``board-run.md``
and ``images.png`` (the board's images) to ``--out``; exits 1 if any image differs.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from hw.board import BOARDS, DEFAULT_BAUD
from hw.board_top import golden_check, link_shape, values_image
from hw.build import DESIGNS, export_tag
from hw.protocol import (LinkError, ResponseParser, check_info, decode_image, info_command, seed_command,
                         stored_command)
from model.common.errors import UserError
from model.common.jsonio import dumps
from model.common.options import add_manifest, add_out, add_seed
from model.common.plots import image_grid
from model.snn.export import load
from model.snn.golden import draw_noise

READ_CHUNK = 4096


class SerialLink:
    """The host's end of the link over a serial port: send a frame, parse bytes until its response comes."""

    def __init__(self, port, timeout_s: float):
        self.port, self.timeout_s = port, timeout_s
        self.parser = ResponseParser()

    def exchange(self, frame: bytes) -> bytes:
        """The response's payload; `LinkError` if the board refuses the frame, the response is corrupt, or none
        comes within the time-out."""
        self.port.write(frame)
        deadline = time.monotonic() + self.timeout_s
        while time.monotonic() < deadline:
            data = self.port.read(READ_CHUNK)
            if data:
                payloads = self.parser.feed(data)
                if payloads:
                    return payloads[0]
        raise LinkError(f"no response from the board within {self.timeout_s:g} s (time-out): is it loaded with "
                        "the bitstream (make board), and is --baud its baud rate?", "timeout")


def open_port(port: str, baud: int):
    """The serial port ``port`` at ``baud``, or a `UserError` that says what is wrong."""
    import serial

    try:
        return serial.serial_for_url(port, baudrate=baud, timeout=0.05)
    except (serial.SerialException, ValueError) as e:
        raise UserError(f"cannot open the serial port {port!r} ({e}); connect the board and pass its port "
                        "(e.g. --port /dev/ttyUSB0; `python -m serial.tools.list_ports` lists them)") from None


def add_arguments(parser) -> None:
    parser.add_argument("--port", required=True, help="the board's serial port, e.g. /dev/ttyUSB0")
    add_manifest(parser)
    parser.add_argument("--design", choices=DESIGNS, default="snn", help="what the board was built with (default: snn)")
    parser.add_argument("--baud", type=int, default=DEFAULT_BAUD, help=f"baud rate (default: {DEFAULT_BAUD})")
    parser.add_argument("--images", type=int, default=16, help="fresh noise vectors drawn on chip (default: 16)")
    parser.add_argument("--board", choices=sorted(BOARDS), default=None,
                        help="the board, for its clock: compute time per image beside the link's (default: not stated)")
    parser.add_argument("--timeout", type=float, default=5.0, help="seconds to wait for a response (default: 5)")
    add_seed(parser, "seed of the noise vectors' seeds")
    add_out(parser, "reports/board-run")


def run_images(link, export, design: str, seeds) -> list[dict]:
    """Every stored vector, then one drawn image per seed: each image's values against the golden model's."""
    shape = link_shape(export.net, len(export.vectors), design, export_tag(export))
    check_info(link.exchange(info_command()), shape)
    jobs = [("stored", v, stored_command(v), export.vectors[v].noise_x) for v in range(len(export.vectors))]
    jobs += [("seed", s, seed_command(s), draw_noise(s, export.config)) for s in seeds]
    rows = []
    for kind, key, frame, x in jobs:
        start = time.monotonic()
        image = decode_image(link.exchange(frame), shape)
        wall = time.monotonic() - start
        expected, wrong = golden_check(export.net, x, image.values)
        rows.append({"kind": kind, "vector" if kind == "stored" else "seed": int(key), "cycles": image.cycles,
                     "wall_s": wall, "ok": not wrong, "values": list(image.values),
                     "first_mismatch": None if not wrong else {"neuron": wrong[0], "board": image.values[wrong[0]],
                                                                "golden": expected[wrong[0]]},
                     "mismatched": len(wrong)})
    return rows


def summary(rows: list[dict], args, clock_hz: float | None) -> dict:
    wall = sum(r["wall_s"] for r in rows)
    cycles = [r["cycles"] for r in rows]
    return {"port": args.port, "baud": args.baud, "manifest": str(args.manifest), "design": args.design,
            "images": len(rows), "bit_exact": sum(r["ok"] for r in rows),
            "images_per_s": len(rows) / wall if wall else None,
            "cycles_per_image": {"min": min(cycles), "max": max(cycles), "mean": float(np.mean(cycles))},
            "compute_s_per_image": float(np.mean(cycles)) / clock_hz if clock_hz else None, "rows": rows}


def markdown(s: dict) -> str:
    bad = [r for r in s["rows"] if not r["ok"]]
    lines = [f"# Images from the board on {s['port']}", "",
             f"- {s['bit_exact']} of {s['images']} images bit-exact with the golden model ({s['design']}, "
             f"`{s['manifest']}`)",
             f"- {s['images_per_s']:.2f} images/s over the link at {s['baud']} baud; "
             f"{s['cycles_per_image']['mean']:,.0f} cycles per image on the board"]
    if s["compute_s_per_image"]:
        lines.append(f"- compute {s['compute_s_per_image'] * 1e3:.3f} ms per image at the board's clock")
    lines += [f"- MISMATCH: {r['kind']} {r.get('vector', r.get('seed'))}: {r['mismatched']} values, first "
              f"{r['first_mismatch']}" for r in bad]
    return "\n".join(lines) + "\n"


def run(args) -> int:
    if args.images < 0:
        raise UserError(f"--images must be >= 0, got {args.images}")
    export = load(args.manifest)
    seeds = [int(s) for s in np.random.default_rng(args.seed).integers(1, 2**32, args.images)]
    link = SerialLink(open_port(args.port, args.baud), args.timeout)
    try:
        rows = run_images(link, export, args.design, seeds)
    except LinkError as e:
        raise UserError(f"the link to the board failed: {e}") from None
    clock = BOARDS[args.board].make_platform().default_clk_frequency if args.board else None
    s = summary(rows, args, clock)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    images = [values_image(export.config, r["values"]) for r in rows]
    image_grid(np.stack(images), out / "images.png", f"the board's images ({args.design}, {export.config.describe()})")
    (out / "board-run.json").write_text(dumps(s))
    (out / "board-run.md").write_text(markdown(s))
    print(markdown(s), end="")
    return 0 if s["bit_exact"] == s["images"] else 1
