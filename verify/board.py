"""The board top in simulation: its RTL with a fast UART, and the link testbench's plan of images and bad frames."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from hw.board_top import link_shape
from hw.build import build_board
from hw.protocol import HOST_SYNC, Command, frame, load_command, seed_command, stored_command
from model.snn.export import Export
from verify.sim import run_testbench
from verify.wrapper import CLOCK_PERIOD_NS, SimBuild, add_wrapper

SIM_DIVISOR = 8  # clock cycles per bit in simulation: a fast UART, so that a link test takes seconds
SIM_TIMEOUT = 40 * SIM_DIVISOR  # the board's frame time-out: four bytes' time of silence


def board_sim_build(export: Export, root, design: str = "snn", run_lint: bool = True) -> SimBuild:
    """The board top of ``export`` (or its twin ``design``) at the simulation's UART speed, with its wrapper."""
    tag = f"board-{export.sha256[:10]}-p{export.config.lanes}-{design}"
    return add_wrapper(build_board(export, Path(root).resolve() / tag / "rtl", SIM_DIVISOR, SIM_TIMEOUT, design,
                                   run_lint))


def _bad(name: str, data: bytes, expect: str, **extra) -> dict:
    return {"name": name, "kind": "raw", "hex": data.hex(), "expect": expect, **extra}


def bad_frames(export: Export) -> list[dict]:
    """Frames the board must refuse, each with the status it must answer (or ``timeout``: no answer)."""
    c = export.config
    shape = link_shape(export.net, len(export.vectors))
    x = np.zeros(c.sizes[0], dtype=np.int64)
    high = x.copy()
    high[-1] = shape.noise_levels + 1
    crc_broken = bytearray(stored_command(0))
    crc_broken[-1] ^= 0x5A
    no_sync = stored_command(0)[1:]
    assert HOST_SYNC not in no_sync
    return [
        _bad("a corrupted CRC", bytes(crc_broken), "BAD_CRC"),
        _bad("an unknown command", frame(HOST_SYNC, 0x7E), "UNKNOWN_COMMAND"),
        _bad("a LOAD one value short", frame(HOST_SYNC, Command.LOAD, bytes(2 * (c.sizes[0] - 1))), "BAD_LENGTH"),
        _bad("a STORED with three bytes", frame(HOST_SYNC, Command.STORED, bytes(3)), "BAD_LENGTH"),
        _bad("a header cut after the command", bytes([HOST_SYNC, Command.STORED]), "TRUNCATED"),
        _bad("a LOAD cut in its payload", load_command(x)[: 4 + c.sizes[0]], "TRUNCATED"),
        _bad("an X above the top level", load_command(high), "OUT_OF_RANGE"),
        _bad("the scratch slot as a stored vector", stored_command(len(export.vectors)), "OUT_OF_RANGE"),
        _bad("vector 65535", stored_command(0xFFFF), "OUT_OF_RANGE"),
        _bad("a zero seed", seed_command(0), "OUT_OF_RANGE"),
        _bad("a byte with no stop bit", stored_command(0), "FRAMING", bad_stop_at=3),
        _bad("a frame with no sync byte", no_sync, "timeout"),
    ]


def link_items(export: Export, seed: int = 0x1234567) -> list[dict]:
    """INFO, an image of each kind, then every bad frame, each followed by a good image (the board recovered)."""
    c = export.config
    rng = np.random.default_rng(seed)
    full = link_shape(export.net, len(export.vectors)).noise_levels
    v = len(export.vectors)

    def image(k: int) -> dict:
        kind = ("stored", "load", "seed")[k % 3]
        item = {"name": f"image {k} ({kind})", "kind": kind}
        if kind == "stored":
            item["vector"] = k % v
        elif kind == "load":
            item["x"] = rng.integers(0, full + 1, c.sizes[0]).tolist()
        else:
            item["seed"] = int(rng.integers(1, 2**32))
        return item

    items = [{"name": "info", "kind": "info"}] + [image(k) for k in range(3)]
    items.append({**image(3), "name": "image after noise bytes", "prefix": "00ff13a6"})
    for k, bad in enumerate(bad_frames(export)):
        items += [bad, image(k + 4)]
    return items


def run_link(export: Export, sim: str, build: SimBuild, items: list[dict]) -> dict:
    """Run the link testbench (``verify.tb.board_link``) with ``items`` under ``sim``; its result."""
    plan = {"manifest": str(export.path), "rtl_dir": str(build.rtl.out_dir), "items": items,
            "bit_ns": SIM_DIVISOR * CLOCK_PERIOD_NS, "board_timeout_cycles": SIM_TIMEOUT}
    return run_testbench(sim, build, "verify.tb.board_link", plan, build.rtl.out_dir.parent / sim)
