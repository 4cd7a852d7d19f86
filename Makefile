# spikegan: train a GAN, convert its generator to an SNN, generate RTL, prove it bit-exact.
# Every target depends on `setup`, which does nothing once it is done.

VENV    ?= .venv
PY      := $(VENV)/bin/python
SETUP   := $(VENV)/.setup-done
DATASET ?= mnist
SEED    ?= 0
# The paper's FPGA network: HIDDEN=64 gives 100-64-64-784 (weights/gan-mnist-h64).
HIDDEN  ?=
RUN     ?= weights/gan-$(DATASET)$(if $(HIDDEN),-h$(HIDDEN))
MANIFEST ?= $(RUN)/snn/manifest.json
SMALL   := weights/gan-$(DATASET)-h64
# The iCE40 network: 100-16-16-784 with 4-bit weights, 16-bit membranes, P = 4 (fits an HX8K's block RAM).
ICE40   := weights/gan-$(DATASET)-h16
TARGET  ?= xc7,ecp5,ice40,asic,vivado

.PHONY: all setup train train-small train-ice40 convert convert-small convert-ice40 baseline rtl verify synth synth-sweep lane-sweep memristor test test-fast clean help

help:
	@echo "make all       set up, then the whole pipeline: train, convert, rtl, verify (full and 100-64-64-784 networks)"
	@echo "make setup     virtualenv, pinned Python packages, system tools, YoWASP cache, data"
	@echo "make train     train the SpikeGAN ANN GAN (DATASET=mnist|fashion, SEED=0)"
	@echo "make baseline  train the textbook MLP GAN with the same command, for comparison"
	@echo "make convert   ANN->SNN conversion, fixed-point golden model, export + report ($(RUN)/snn)"
	@echo "make rtl       Amaranth -> Verilog + \$$readmemh files + lint (build/rtl)"
	@echo "make verify    cocotb: RTL vs golden model, Verilator 10 images, Icarus on the 100-64-64-784 network"
	@echo "make synth     Yosys/nextpnr flows: 100-64-64-784 on xc7 (estimate), ECP5, ASIC, Vivado script; 100-16-16-784 on iCE40 (TARGET=xc7,ecp5,ice40,asic,vivado)"
	@echo "make synth-sweep  lane sweep P = 1, 4, 16, 64 of the 100-64-64-784 network: area, Fmax, cycles, images/s"
	@echo "make memristor memristor spiking GAN with on-chip R-STDP: per-image training, figures, RTL check (DATASET=mnist|fashion, default both)"
	@echo "make test      set up, then run the whole test suite"

all: train train-small train-ice40 convert convert-small convert-ice40 rtl verify

setup: $(SETUP)

$(SETUP): pyproject.toml scripts/setup.sh
	bash scripts/setup.sh
	touch $@

train: $(SETUP)
	$(PY) -m model train --dataset $(DATASET) --seed $(SEED) --out $(RUN) $(if $(HIDDEN),--hidden $(HIDDEN),)

# The paper's FPGA network 100-64-64-784, for Icarus and synthesis: Table I's 1,500 updates
# (its image quality is not the point; its RTL is verified bit-exact like the full one's).
train-small: $(SETUP)
	$(PY) -m model train --dataset $(DATASET) --seed $(SEED) --out $(SMALL) --hidden 64 --updates 1500

# The iCE40 network (only its RTL's size and bit-exactness matter; its images are poor).
train-ice40: $(SETUP)
	$(PY) -m model train --dataset $(DATASET) --seed $(SEED) --out $(ICE40) --hidden 16 --updates 1500

convert: $(SETUP)
	$(PY) -m model convert --checkpoint $(RUN)/checkpoint.pt

convert-small: $(SETUP)
	$(PY) -m model convert --checkpoint $(SMALL)/checkpoint.pt --images 64 --no-peer

convert-ice40: $(SETUP)
	$(PY) -m model convert --checkpoint $(ICE40)/checkpoint.pt --weight-bits 4 --membrane-bits 16 --lanes 4 --vectors 2 --images 64 --no-peer

rtl: $(SETUP)
	$(PY) -m hw rtl --manifest $(MANIFEST) --out build/rtl/$(notdir $(RUN))

verify: $(SETUP)
	$(PY) -m verify run --manifest $(MANIFEST) --sim verilator --images 10 --out reports/verify-verilator
	$(PY) -m verify run --manifest $(SMALL)/snn/manifest.json --sim icarus --images 4 --out reports/verify-icarus
	$(PY) -m verify run --manifest $(ICE40)/snn/manifest.json --sim icarus --images 2 --out reports/verify-ice40

synth: $(SETUP)
	$(PY) -m hw.synth_report --manifest $(SMALL)/snn/manifest.json --targets $(TARGET) --ice40-manifest $(ICE40)/snn/manifest.json --out reports/synth

synth-sweep: $(SETUP)
	$(PY) -m verify synth-sweep --manifest $(SMALL)/snn/manifest.json --lanes 1,4,16,64 --ecp5-part 85k --out reports/synth

lane-sweep: $(SETUP)
	$(PY) -m verify sweep --manifest $(MANIFEST) --sim verilator --lanes 1,4,16,64 --images 2 --out reports/lane-sweep

baseline: $(SETUP)
	$(PY) -m model train --dataset $(DATASET) --seed $(SEED) --arch textbook --lr 2e-4 --out $(RUN)-textbook

# Memristor spiking GAN (paper 001): both datasets unless DATASET is given on the command line.
MEMRISTOR_DATASET = $(if $(filter command line environment,$(origin DATASET)),$(DATASET),both)

memristor: $(SETUP)
	$(PY) -m model memristor --dataset $(MEMRISTOR_DATASET)
	$(PY) -m verify memristor --dataset $(MEMRISTOR_DATASET) --iterations 100

test: $(SETUP)
	$(PY) -m pytest -n 2 --dist loadgroup

test-fast: $(SETUP)
	$(PY) -m pytest -n 2 -m "not slow and not sim"

clean:
	rm -rf sim_builds build
