"""The memristor spiking GAN's RTL runs (host side): the runner and the hardware check; the testbenches are
`verify.tb.memristor_synapse` and `verify.tb.memristor_top`."""
