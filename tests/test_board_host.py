"""``spikegan board``, the host command, against a board model on a fake serial port: it checks every image
against the golden model, writes its report and grid, and names a wrong value, a corrupt response, a time-out
and a board built from another export."""

from __future__ import annotations

import json

import numpy as np
import pytest

import hw.board_host
from hw.board_top import expected_values, link_shape
from hw.build import export_tag
from hw.protocol import BOARD_SYNC, HOST_SYNC, Command, Status, frame
from model.snn.config import SnnConfig
from model.snn.export import load
from model.snn.golden import draw_noise
from spikegan.__main__ import main
from verify.system import random_export

CONFIG = SnnConfig(sizes=(12, 9, 16), timesteps=10, lanes=4, weight_bits=6, membrane_bits=12, input_bits=4)


class FakeBoard:
    """A serial port with the board's protocol behind it, answering from the golden model; ``fault`` makes it
    misbehave: ``"value"`` (one value off), ``"corrupt"`` (a flipped response bit), ``"silent"``, ``"other"``
    (another export's tag)."""

    def __init__(self, export, fault: str | None = None):
        self.export, self.fault = export, fault
        tag = export_tag(export) ^ (1 if fault == "other" else 0)
        self.shape = link_shape(export.net, len(export.vectors), "snn", tag)
        self.pending = bytearray()

    def write(self, data: bytes) -> None:
        assert data[0] == HOST_SYNC
        command, payload = data[1], data[4:-1]
        if self.fault == "silent":
            return
        if command == Command.INFO:
            answer = self.shape.info_payload()
        else:
            x = (self.export.vectors[int.from_bytes(payload, "little")].noise_x if command == Command.STORED
                 else draw_noise(int.from_bytes(payload, "little"), self.export.config))
            values = [int(v) for v in expected_values(self.export.net, x)]
            if self.fault == "value":
                values[3] += 1
            answer = (1234).to_bytes(5, "little") + bytes(values)
        response = bytearray(frame(BOARD_SYNC, Status.OK, answer))
        if self.fault == "corrupt" and command != Command.INFO:
            response[7] ^= 0x04
        self.pending += response

    def read(self, n: int) -> bytes:
        out, self.pending = bytes(self.pending[:n]), self.pending[n:]
        return out


@pytest.fixture(scope="module")
def manifest(tmp_path_factory):
    return random_export(tmp_path_factory.mktemp("host") / "snn", CONFIG, seed=11, vectors=2, weight_scale=0.35)


def _run(monkeypatch, tmp_path, manifest, fault=None, *extra):
    board = FakeBoard(load(manifest), fault)
    monkeypatch.setattr(hw.board_host, "open_port", lambda port, baud: board)
    return main(["board", "--port", "fake", "--manifest", str(manifest), "--images", "3", "--out", str(tmp_path),
                 "--timeout", "0.3", *extra])


def test_every_image_from_the_board_is_checked_and_reported(monkeypatch, tmp_path, manifest, capsys):
    assert _run(monkeypatch, tmp_path, manifest, None, "--board", "icebreaker") == 0
    report = json.loads((tmp_path / "board-run.json").read_text())
    assert report["images"] == report["bit_exact"] == 5  # 2 stored vectors and 3 drawn ones
    assert [r["kind"] for r in report["rows"]] == ["stored", "stored", "seed", "seed", "seed"]
    assert report["cycles_per_image"]["mean"] == 1234 and report["compute_s_per_image"] == pytest.approx(1234 / 12e6)
    assert (tmp_path / "images.png").is_file() and "5 of 5 images bit-exact" in capsys.readouterr().out


def test_a_wrong_value_fails_the_run_and_is_named(monkeypatch, tmp_path, manifest):
    assert _run(monkeypatch, tmp_path, manifest, "value") == 1
    report = json.loads((tmp_path / "board-run.json").read_text())
    assert report["bit_exact"] == 0 and all(r["first_mismatch"]["neuron"] == 3 for r in report["rows"])
    assert "MISMATCH" in (tmp_path / "board-run.md").read_text()


@pytest.mark.parametrize("fault, message", [("corrupt", "CRC check"), ("silent", "time-out"),
                                            ("other", "export tag differ")])
def test_a_broken_link_is_a_clear_error(monkeypatch, tmp_path, manifest, capsys, fault, message):
    assert _run(monkeypatch, tmp_path, manifest, fault) == 2
    assert message in capsys.readouterr().err


def test_a_missing_port_says_how_to_find_one(tmp_path, manifest, capsys):
    assert main(["board", "--port", "/dev/no-such-port", "--manifest", str(manifest), "--out", str(tmp_path)]) == 2
    assert "list_ports" in capsys.readouterr().err
