"""Formal proofs of the hardware blocks with SymbiYosys: a harness per block (`verify.formal.proofs`) wraps it,
assumes the protocol on its inputs and asserts it, and a reference model, on its outputs; `verify.formal.sby`
runs a bounded model check of each with Yosys and an SMT solver (``spikegan formal``, ``make formal``)."""
