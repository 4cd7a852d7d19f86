"""cocotb testbenches of the memristor spiking GAN blocks and their runner."""
