"""Amaranth HDL: Spike ROM, XBAR, LIF layers, the generator top, memristor-synapse blocks, Verilog and synthesis flows."""
