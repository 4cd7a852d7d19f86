"""The datasets: MNIST and Fashion-MNIST, CIFAR-10, and ``spikegan data``."""
