"""The simulator side: cocotb testbenches and the kit they share, run inside the simulator.

`verify.sim.run_testbench` (the host side) starts a testbench module of this
package by name (e.g. ``verify.tb.lif``) with a plan; the testbench reads it
and writes its result through `verify.tb.plan`. The kit: `verify.tb.streams`
(stream source, sink and monitor), `verify.tb.patterns` (the pause and
back-pressure patterns a plan names), `verify.tb.clock` (reset, cycle numbers,
waiting) and `verify.tb.codecs` (the design's words packed and unpacked).
"""
