"""PyTorch side of spikegan, one room per job: the shared chores (`common`), the network description and its
golden models (`snn`), data, metrics, the ANN GAN (`gan`), conversion (`convert`), NIR and PyTorch (`interop`),
and the designs (`ttfs`, `memristor`, `hybrid`). ``docs/architecture.md`` has the table."""
