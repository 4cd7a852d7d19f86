"""The flip-flops and memories of a generated design (`hw.storage`), read from Verilog in the style Yosys writes."""

from __future__ import annotations

from hw.storage import storage

VERILOG = r"""
module top(clk, rst, a, y);
  reg [3:0] \layer1.count  = 4'h0;
  reg \layer1.flag ;
  reg [7:0] plain;
  reg [2:0] comb;
  reg last;
  reg [15:0] \layer1.mem  [5:0];
  input clk; input rst; input [3:0] a; output [3:0] y;
  always @(posedge clk) begin
    if (\layer1.flag )
      \layer1.mem [a[2:0]] <= { plain, plain };
  end
  always @(posedge clk)
    if (rst) \layer1.count [1:0] <= 2'h0;
    else \layer1.count [1:0] <= a[1:0];
  always @(posedge clk)
    \layer1.flag  <= a[0];
  always @(posedge clk)
    if (comb <= a[2:0]) plain <= { a, a };
  always @* begin
    comb = a[2:0];
  end
  assign y = \layer1.count ;
  spikegan_rom #(
    .DEPTH(32'd30),
    .INIT_FILE("layer1_weights.mem"),
    .WIDTH(32'd32)
  ) \layer1.xbar.rom.rom  (
    .clk(clk)
  );
  always @(posedge clk)
    last <= a[0];
endmodule
"""


def test_registers_are_the_regs_assigned_on_the_clock_edge_and_memories_the_arrays_and_roms():
    s = storage(VERILOG)
    # a comparison in a clocked block is no assignment; a block just before endmodule counts
    assert s.registers == ((r"\layer1.count", 4), (r"\layer1.flag", 1), ("last", 1), ("plain", 8))
    assert s.arrays == ((r"\layer1.mem", 6, 16),) and s.instances == ((r"\layer1.xbar.rom.rom", 30, 32),)
    assert s.totals() == {"register_bits": 14, "memory_bits": 6 * 16 + 30 * 32}
