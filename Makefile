# spikegan: train a GAN, convert its generator to an SNN, generate RTL, prove it bit-exact.
# Every target depends on `setup`, which does nothing once it is done.

VENV    ?= .venv
PY      := $(VENV)/bin/python
SETUP   := $(VENV)/.setup-done
DATASET ?= mnist
RUN     ?= weights/gan-$(DATASET)
SEED    ?= 0

.PHONY: all setup train baseline memristor test test-fast clean help

help:
	@echo "make all       set up, then train (the whole pipeline as far as it exists)"
	@echo "make setup     virtualenv, pinned Python packages, system tools, YoWASP cache, data"
	@echo "make train     train the SpikeGAN ANN GAN (DATASET=mnist|fashion, SEED=0)"
	@echo "make baseline  train the textbook MLP GAN with the same command, for comparison"
	@echo "make memristor memristor spiking GAN with on-chip R-STDP: per-image training, figures, RTL check (DATASET=mnist|fashion, default both)"
	@echo "make test      set up, then run the whole test suite"

all: train

setup: $(SETUP)

$(SETUP): pyproject.toml scripts/setup.sh
	bash scripts/setup.sh
	touch $@

train: $(SETUP)
	$(PY) -m model train --dataset $(DATASET) --seed $(SEED) --out $(RUN)

baseline: $(SETUP)
	$(PY) -m model train --dataset $(DATASET) --seed $(SEED) --arch textbook --out $(RUN)-textbook

# Memristor spiking GAN (paper 001): both datasets unless DATASET is given on the command line.
MEMRISTOR_DATASET = $(if $(filter command line environment,$(origin DATASET)),$(DATASET),both)

memristor: $(SETUP)
	$(PY) -m model memristor --dataset $(MEMRISTOR_DATASET) --hw-check 100

test: $(SETUP)
	$(PY) -m pytest -n 2 --dist loadgroup

test-fast: $(SETUP)
	$(PY) -m pytest -n 2 -m "not slow and not sim"

clean:
	rm -rf sim_builds build
