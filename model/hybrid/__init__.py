"""Hybrid SNN/ANN GANs (Mao et al.): spiking layers with surrogate gradients in a DCGAN, and their measurements."""
