"""Memristor spiking GAN with on-chip R-STDP learning (Tian et al., paper 001).

A single-layer spiking generator (12 -> 144) and discriminator (144 -> 2) whose
synapses are 1M4T memristor cells (VTEAM device model), trained per image by
reward-modulated STDP with the reward/punish back-propagation of Eq. 3.

Modules: ``data`` (12x12 binarised sets, spike encoding/decoding, the xorshift32
source shared with the hardware), ``vteam`` (device model), ``synapse`` (1M4T
R-STDP synapse: spike timing -> programming pulse -> state change), ``gan``
(network and the three training stages, float), ``fixed`` (the bit-exact
integer model the RTL in ``hw/memristor`` implements), ``cli``.
"""
