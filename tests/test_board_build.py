"""``spikegan board-build``: the board top on amaranth-boards' platforms, with their real pins, and a network
that does not fit refused with the boards it fits. (``make board`` builds the bitstreams; the link itself is
tested in simulation by tests/test_board_link.py.)"""

from __future__ import annotations

import json

import pytest

from hw.board_cli import nextpnr_summary
from model.snn.config import SnnConfig
from spikegan.__main__ import main
from verify.system import random_export

TINY = SnnConfig(sizes=(12, 9, 7), timesteps=10, lanes=4, weight_bits=6, membrane_bits=12, input_bits=4)


def test_the_arty_gets_a_vivado_project_with_the_boards_pins(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    manifest = random_export(tmp_path / "snn", TINY, seed=3)
    assert main(["board-build", "--board", "arty", "--manifest", str(manifest), "--out", "build/arty",
                 "--report", "report"]) == 0
    report = json.loads((tmp_path / "report" / "board.json").read_text())
    assert report["clock_hz"] == 100e6 and report["divisor"] == 868 and "bitstream" not in report
    pins = "\n".join(report["pins"])
    assert "uart_0__rx" in pins and "uart_0__tx" in pins and "led_0" in pins and "clk100" in pins
    assert (tmp_path / "build/arty/layer1_weights.mem").is_file()
    assert (tmp_path / "build/arty/spikegan_pins.xdc").is_file()


def test_a_network_too_big_for_the_board_is_refused_naming_the_boards_it_fits(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    big = SnnConfig(sizes=(100, 64, 64, 784), timesteps=16, lanes=16, weight_bits=8)
    manifest = random_export(tmp_path / "snn", big, seed=3)
    assert main(["board-build", "--board", "icebreaker", "--manifest", str(manifest), "--no-build"]) == 2
    err = capsys.readouterr().err
    assert "the icebreaker has 120 kbit" in err and "Boards it fits: ulx3s, arty" in err


def test_nextpnr_summary_reads_the_last_fmax_and_the_cells_used():
    log = ("Info: Max frequency for clock 'cd_sync.clk': 30.10 MHz (PASS at 12.00 MHz)\n"
           "Info: Device utilisation:\nInfo: \t         ICESTORM_LC:    2855/   5280    54%\n"
           "Info: \t        ICESTORM_PLL:       0/      1     0%\n"
           "Info: Max frequency for clock 'cd_sync.clk': 32.30 MHz (PASS at 12.00 MHz)\n")
    assert nextpnr_summary(log) == {"fmax_mhz": 32.3, "resources": {"ICESTORM_LC": {"used": 2855, "available": 5280}}}


@pytest.mark.parametrize("baud", [5_000_000])
def test_a_baud_rate_the_clock_cannot_make_is_refused(tmp_path, monkeypatch, capsys, baud):
    monkeypatch.chdir(tmp_path)
    manifest = random_export(tmp_path / "snn", TINY, seed=3)
    assert main(["board-build", "--board", "icebreaker", "--manifest", str(manifest), "--baud", str(baud),
                 "--no-build"]) == 2
    assert "cannot make 5000000 baud" in capsys.readouterr().err
