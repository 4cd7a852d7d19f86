"""The one description of a spiking network and what executes it: the contract that `hw` and `verify` read."""
