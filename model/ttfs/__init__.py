"""Time-to-first-spike networks (Spiking-GAN, Kotariya & Ganguly 2022, on S4NN's learning rule).

One spike per neuron: encoding and decoding (:mod:`.coding`), the non-leaky IF layer
(:mod:`.neuron`), temporal backpropagation (:mod:`.backprop`), the output targets and
the least-squares temporal loss (:mod:`.losses`). The reconstruction of the paper's
equations is written down in ``docs/ttfs-semantics.md``.
"""
