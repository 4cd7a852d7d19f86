"""Memristor spiking GAN with on-chip R-STDP learning in fixed point: the 1M4T
synapse datapath, LIF neuron, Eq. 3 unit, the crossbar layer and the top that
runs the three training stages (semantics: docs/memristor-semantics.md)."""
