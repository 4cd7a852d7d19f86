"""The ANN GAN of SpikeGAN and its training."""
