"""The board's UART link: the protocol's host half (framing, CRC, the response parser), and the board top on
Icarus and Verilator driven by that host code through a UART model: images bit-exact with the golden model for
every design, and a dozen kinds of bad frame each refused by name, the link working again after each."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest
import torch
from amaranth import Fragment, Module

from hw.board_top import link_shape
from hw.protocol import (BOARD_SYNC, HOST_SYNC, Command, LinkError, ResponseParser, Status, check_info, crc8,
                         decode_image, frame)
from hw.state_machine import state_machine
from model.snn import ramp
from model.snn.config import RAMP, SnnConfig
from model.snn.export import export_network, load
from model.snn.golden import random_network
from model.ttfs.golden import export as ttfs_export
from model.ttfs.golden import quantise as ttfs_quantise
from verify.board import bad_frames, board_sim_build, link_items, run_link
from verify.sim import SIMULATORS

ROOT = Path(__file__).resolve().parent.parent / "sim_builds" / "tests" / "board"
RATE = SnnConfig(sizes=(12, 9, 7), timesteps=10, lanes=4, weight_bits=6, membrane_bits=12, input_bits=4)
EXACT = SnnConfig(sizes=(10, 9, 6), timesteps=12, membrane_bits=20, lanes=4, **RAMP)


def _export(config: SnnConfig | None, folder: Path):
    """A random network of ``config`` (None: a trained-TTFS-style network) with two stored vectors."""
    if config is None:
        g = torch.Generator().manual_seed(3)
        weights = [torch.rand(b, a, generator=g) * 1.3 - 0.3 for a, b in ((12, 9), (9, 7))]
        net = ttfs_quantise(weights, theta=1.6, timesteps=16, weight_bits=6, lanes=4)
        return load(ttfs_export(net, folder, np.random.default_rng(1).integers(0, 17, (2, 12))))
    u = np.random.default_rng(1).random((2, config.sizes[0]))
    net = (ramp.random_network(config, seed=5, weight_scale=0.4, bias_scale=0.5) if config.neuron == "ramp"
           else random_network(config, seed=11, weight_scale=0.35, bias_scale=2 if config.direct else 0))
    return load(export_network(net, folder, u))


def test_crc8_is_the_smbus_crc():
    """CRC-8 with polynomial 0x07 and initial value 0 (CRC-8/SMBUS): its check value on "123456789" is 0xF4."""
    assert crc8(b"123456789") == 0xF4
    f = frame(HOST_SYNC, Command.STORED, b"\x03\x00")
    assert f[:4] == bytes([HOST_SYNC, Command.STORED, 2, 0]) and crc8(f[1:-1]) == f[-1]


def test_the_parser_takes_split_responses_skips_line_noise_and_names_each_fault():
    ok = frame(BOARD_SYNC, Status.OK, b"\x01\x02\x03")
    p = ResponseParser()
    assert p.feed(b"\x00\x13" + ok[:3]) == [] and p.skipped == 2
    assert p.feed(ok[3:] + ok) == [b"\x01\x02\x03"] * 2 and p.pending() == 0
    corrupt = bytearray(ok)
    corrupt[4] ^= 0x10
    with pytest.raises(LinkError, match="CRC") as e:
        p.feed(bytes(corrupt))
    assert e.value.kind == "corrupt"
    with pytest.raises(LinkError, match="BAD_LENGTH: the payload length") as e:
        p.feed(frame(BOARD_SYNC, Status.BAD_LENGTH))
    assert e.value.kind == "BAD_LENGTH"
    assert p.feed(ok) == [b"\x01\x02\x03"]  # the parser goes on after a fault


def test_the_host_refuses_another_boards_network_naming_what_differs():
    shape = link_shape(random_network(RATE, seed=1), 2, tag=0x12345678)
    check_info(shape.info_payload(), shape)
    other = dataclasses.replace(shape, timesteps=11, tag=7)
    with pytest.raises(LinkError, match=r"\(timesteps, export tag differ\)"):
        check_info(other.info_payload(), shape)
    with pytest.raises(LinkError, match="7 outputs"):
        decode_image(bytes(5 + 6), shape)


def test_a_state_machine_refuses_repeated_state_names():
    m = Module()
    with pytest.raises(ValueError, match="distinct state names"):
        state_machine(m, ("idle", "run", "idle"))
    Fragment.get(m, None)  # elaborated: no warning about an unused module


def test_every_bad_frame_kind_is_distinct_and_every_status_is_tried(tmp_path):
    kinds = bad_frames(_export(RATE, tmp_path / "snn"))
    assert len(kinds) >= 10 and len({k["hex"] + str(k.get("bad_stop_at")) for k in kinds}) == len(kinds)
    assert {k["expect"] for k in kinds} == {s.name for s in Status if s != Status.OK} | {"timeout"}


@pytest.mark.sim
@pytest.mark.parametrize("sim", SIMULATORS)
def test_the_link_gives_golden_images_and_refuses_every_bad_frame(tmp_path, sim):
    ex = _export(RATE, tmp_path / "snn")
    items = link_items(ex)
    result = run_link(ex, sim, board_sim_build(ex, ROOT / "rate" / sim), items)
    assert not result["error"], result["error"]
    assert [r["name"] for r in result["items"]] == [i["name"] for i in items]
    assert all(r["ok"] for r in result["items"])
    refused = [r["seen"] for r, i in zip(result["items"], items) if i["kind"] == "raw"]
    assert refused == [i["expect"] for i in items if i["kind"] == "raw"]
    assert result["skipped_bytes"] == 0 and result["framing_errors"] == 0


DESIGNS = {
    "direct": (dataclasses.replace(RATE, coding="direct", membrane_bits=18), "snn"),
    "ttfs": (None, "snn"),
    "exact-ttfs": (EXACT, "snn"),
    "ann-skip": (EXACT, "ann-skip"),
}


@pytest.mark.sim
@pytest.mark.parametrize("name", DESIGNS)
@pytest.mark.parametrize("sim", SIMULATORS)
def test_every_design_runs_over_the_link(tmp_path, sim, name):
    """INFO, a stored vector, loaded noise and drawn noise give the golden model's counts or spike times."""
    config, design = DESIGNS[name]
    ex = _export(config, tmp_path / "snn")
    items = link_items(ex)[:5]
    assert [i["kind"] for i in items] == ["info", "stored", "load", "seed", "stored"]
    result = run_link(ex, sim, board_sim_build(ex, ROOT / name / sim, design=design), items)
    assert not result["error"], result["error"]
    assert all(r["ok"] for r in result["items"]) and len(result["items"]) == len(items)
    values = [r["values"] for r in result["items"][1:]]
    assert len({tuple(v) for v in values}) > 1  # not vacuous: the images differ
