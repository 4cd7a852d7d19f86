# spikegan: train a GAN, convert its generator to an SNN, generate RTL, prove it bit-exact.
# Targets build the files they need: a fresh clone's `make verify` trains and converts first.
# Every command is `spikegan <stage>` (the console script `make setup` installs); `make help` lists them all.

VENV    ?= .venv
PY      := $(VENV)/bin/python
SG      := $(VENV)/bin/spikegan
SETUP   := $(VENV)/.setup-done
DATASET ?= mnist
SEED    ?= 0
# HIDDEN=64 gives 100-64-64-784 at the full update count (weights/gan-mnist-h64).
HIDDEN  ?=
RUN     ?= weights/gan-$(DATASET)$(if $(HIDDEN),-h$(HIDDEN))
MANIFEST ?= $(RUN)/snn/manifest.json
# The paper's FPGA network: 100-64-64-784, Table I's 1,500 updates (for Icarus and synthesis).
FPGA    := weights/gan-$(DATASET)-fpga
# The iCE40 network: 100-16-16-784 with 4-bit weights, 16-bit membranes, P = 4 (fits an HX8K's block RAM).
ICE40   := weights/gan-$(DATASET)-ice40
RTL_DIR := build/rtl/$(notdir $(RUN))
# Conversion of $(RUN): the default is the exact TTFS conversion at T = 32 (one spike per neuron);
# CONVERT_FLAGS=--paper gives the paper's rate-coded generator (Bernoulli, T = 64), --neuron rate its direct coding.
CONVERT_FLAGS ?=
TARGET  ?= xc7,ecp5,ice40,asic,vivado

.DELETE_ON_ERROR:  # a recipe that fails (e.g. convert after its export) leaves no target that looks finished

.PHONY: all demo setup train train-fpga train-ice40 baseline convert convert-fpga convert-ice40 rtl verify \
        synth sweep-synth sweep-cycles regress faults mutate pareto memristor ttfs exact rate compare compare-ice40 compare-full characterise formal board board-sim \
        hybrid nir \
        report readme test \
        test-fast clean help

help:
	@echo "Quick start:"
	@echo "  make demo          a small network through train, convert, rtl, verify on both simulators (a few minutes)"
	@echo "  make all           set up, then the whole pipeline (train, convert, rtl, verify) and its results summary"
	@echo "  make test          set up, then the whole test suite"
	@echo "Stages (each builds what it needs first):"
	@echo "  make setup         virtualenv, pinned Python packages, system tools, YoWASP cache, data"
	@echo "  make train         the SpikeGAN ANN GAN 100-1200-1200-784 -> $(RUN) (DATASET=mnist|fashion, SEED=0, HIDDEN=)"
	@echo "  make train-fpga    the paper's FPGA network 100-64-64-784, 1,500 updates -> $(FPGA)"
	@echo "  make train-ice40   the iCE40 network 100-16-16-784, 1,500 updates -> $(ICE40)"
	@echo "  make baseline      the textbook MLP GAN with the same command -> $(RUN)-textbook"
	@echo "  make convert       ANN->SNN conversion, golden model, export and conversion report -> $(RUN)/snn"
	@echo "                     (exact TTFS, one spike per neuron, T = 32; CONVERT_FLAGS=--paper: the paper's rate coding,"
	@echo "                     Bernoulli at T = 64; CONVERT_FLAGS=\"--neuron rate\": the rate converter's direct coding, T = 32)"
	@echo "  make convert-fpga  the paper's rate-coded FPGA network; convert-ice40 the iCE40 network (4-bit, P = 4)"
	@echo "  make rtl           Amaranth -> Verilog + \$$readmemh files + lint -> $(RTL_DIR)"
	@echo "  make verify        cocotb: RTL vs golden model; Verilator and Icarus on $(RUN) (the default), Icarus on the"
	@echo "                     FPGA and iCE40 networks (the paper's configuration)"
	@echo "  make synth         Yosys/nextpnr: FPGA network on xc7 (estimate), ECP5, ASIC, Vivado script; iCE40 network on iCE40 (TARGET=$(TARGET))"
	@echo "  make sweep-synth   synthesis sweep P = 1, 4, 16, 64 of the FPGA network: area, Fmax, cycles, images/s"
	@echo "  make sweep-cycles  simulated cycles per image against P = 1, 4, 16, 64 of $(RUN)"
	@echo "  make regress       random networks through RTL on both simulators, on Dask, with coverage (CASES=$(CASES)) -> reports/regress"
	@echo "  make faults        every single-lane threshold fault of the iCE40, FPGA and full networks against their own"
	@echo "                     vectors (hours on the full network) -> reports/faults"
	@echo "  make mutate        mutation testing: 100 Verilog mutants against the checks -> reports/mutation, and"
	@echo "                     100 mutants of the Amaranth source against 6 regression cases each -> reports/mutation-regress"
	@echo "  make pareto        fidelity/energy Pareto front: the FPGA-size network trained with ReLU, QCFS and QCFS + rate penalty,"
	@echo "                     each converted with the three input codings at T = $(PARETO_T) on 1,000 images -> reports/pareto"
	@echo "  make memristor     memristor spiking GAN with on-chip R-STDP: training, figures, RTL check (DATASET=mnist|fashion, default all)"
	@echo "  make ttfs          time-to-first-spike classifier and Spiking-GAN (S4NN backprop), its generator in RTL on both simulators and"
	@echo "                    synthesised, beside the rate-coded FPGA network -> reports/ttfs (DATASET=mnist|fashion, default all;"
	@echo "                    G's hidden layer silenced to TTFS_BUDGET=100 spikes per image from signed initial weights;"
	@echo "                    TTFS_SILENCE=0 TTFS_INIT_MIN=\"0 0\" TTFS_INIT_MAX=\"8 2\": the paper's G)"
	@echo "  make exact         exact TTFS beyond make all: the FPGA and iCE40 networks converted exactly and verified, the FPGA"
	@echo "                    network synthesised beside its rate-coded and direct-coded conversions, mutants of the ramp"
	@echo "                    layer -> reports/exact"
	@echo "  make rate          the rate converter on $(RUN) (direct coding, T = 32) -> $(RUN)/snn-direct, with its report"
	@echo "                    and its RTL under Verilator -> reports/rate"
	@echo "  make compare       should it spike? the FPGA network's exact-TTFS generator beside its ANN twins (dense and"
	@echo "                    zero-skipping): bit-exactness, cycles, area, Fmax, energy from activity -> reports/compare"
	@echo "  make compare-ice40 the same for the iCE40 network, without synthesis -> reports/compare-ice40"
	@echo "  make compare-full  the same for $(RUN)'s default export, without synthesis -> reports/compare-full"
	@echo "  make characterise  the energy table's flip-flop and leakage figures, measured with ngspice -> reports/characterise"
	@echo "  make formal        bounded proofs of the blocks' properties (SymbiYosys) -> reports/formal"
	@echo "  make board         BOARD=ulx3s|icebreaker|arty: the generator behind a UART on the board, its pins and clock"
	@echo "                    (bitstream, or Vivado project for arty) -> build/board/BOARD (DESIGN=snn|ann-dense|ann-skip,"
	@echo "                    BOARD_MANIFEST=an export that fits; default: the FPGA network, the iCE40 one on icebreaker)"
	@echo "  make board-sim     the same board top's UART link on both simulators: images bit-exact, bad frames refused,"
	@echo "                    throughput at the board's clock and baud rate -> reports/board-sim/BOARD"
	@echo "  make hybrid        hybrid SNN/ANN GANs: the ANN DCGAN, spiking modules at its front / middle / back and the SNN"
	@echo "                    extractor, each with an ANN and an SNN discriminator -> reports/hybrid (VARIANT=all|ann|front|middle|"
	@echo "                    back|extractor or a comma list, DATASET=mnist|fashion|cifar10, UPDATES=$(UPDATES), DEVICE=cpu|cuda)"
	@echo "  make nir           an snnTorch classifier in through NIR (accuracy beside snnTorch's, RTL on both simulators) and"
	@echo "                    the generator out to snnTorch and sinabs, every difference explained -> reports/nir"
	@echo "  make report        the results summary of this run -> reports/summary.md; make readme also fills the results of README.md and docs/ from the reports there are"
	@echo "  make test-fast     the tests without simulators and slow ones"
	@echo "  make clean         remove sim_builds/, build/ and reports/ (weights/ stays)"

# The summary after the reports it reads (in this order even under make -j).
all: verify
	$(MAKE) report

demo: $(SETUP)
	$(SG) demo --out reports/demo

setup: $(SETUP)

$(SETUP): pyproject.toml scripts/setup.sh
	bash scripts/setup.sh
	touch $@

# ---- training and conversion: files, so that a later target makes them when missing
$(RUN)/checkpoint.pt: | $(SETUP)
	$(SG) train --dataset $(DATASET) --seed $(SEED) --out $(RUN) $(if $(HIDDEN),--hidden $(HIDDEN),)

$(FPGA)/checkpoint.pt: | $(SETUP)
	$(SG) train --dataset $(DATASET) --seed $(SEED) --out $(FPGA) --hidden 64 --updates 1500

# Only its RTL's size and bit-exactness matter; its images are poor.
$(ICE40)/checkpoint.pt: | $(SETUP)
	$(SG) train --dataset $(DATASET) --seed $(SEED) --out $(ICE40) --hidden 16 --updates 1500

$(RUN)/snn/manifest.json: $(RUN)/checkpoint.pt
	$(SG) convert --checkpoint $< $(CONVERT_FLAGS)

# The FPGA and iCE40 networks keep the paper's configuration (Bernoulli, T = 64); the full network takes the
# default, the exact TTFS conversion at T = 32 (--paper gives the paper's there too).
$(FPGA)/snn/manifest.json: $(FPGA)/checkpoint.pt
	$(SG) convert --checkpoint $< --paper --images 64 --no-peer

$(ICE40)/snn/manifest.json: $(ICE40)/checkpoint.pt
	$(SG) convert --checkpoint $< --paper --weight-bits 4 --membrane-bits 16 --lanes 4 --vectors 2 --images 64 --no-peer

train: $(RUN)/checkpoint.pt
train-fpga: $(FPGA)/checkpoint.pt
train-ice40: $(ICE40)/checkpoint.pt
convert: $(MANIFEST)
convert-fpga: $(FPGA)/snn/manifest.json
convert-ice40: $(ICE40)/snn/manifest.json
# Always run: it rewrites only the files whose text changes, and lints the Verilog of the current code.
rtl: $(MANIFEST)
	$(SG) rtl --manifest $(MANIFEST) --out $(RTL_DIR)

baseline: | $(SETUP)
	$(SG) train --dataset $(DATASET) --seed $(SEED) --arch textbook --lr 2e-4 --out $(RUN)-textbook

# ---- hardware: verification, synthesis, sweeps
verify: rtl $(FPGA)/snn/manifest.json $(ICE40)/snn/manifest.json
	$(SG) verify --manifest $(MANIFEST) --sim verilator --vectors 10 --rtl $(RTL_DIR) --out reports/verify-verilator
	$(SG) verify --manifest $(MANIFEST) --sim icarus --vectors 2 --no-directed --rtl $(RTL_DIR) --out reports/verify-icarus
	$(SG) verify --manifest $(FPGA)/snn/manifest.json --sim icarus --vectors 4 --out reports/verify-icarus-fpga
	$(SG) verify --manifest $(ICE40)/snn/manifest.json --sim icarus --vectors 2 --out reports/verify-icarus-ice40

synth: $(FPGA)/snn/manifest.json $(ICE40)/snn/manifest.json
	$(SG) synth --manifest $(FPGA)/snn/manifest.json --targets $(TARGET) --ice40-manifest $(ICE40)/snn/manifest.json --out reports/synth

sweep-synth: $(FPGA)/snn/manifest.json
	$(SG) sweep-synth --manifest $< --sweep-lanes 1,4,16,64 --ecp5-part 85k --out reports/sweep-synth

sweep-cycles: $(MANIFEST)
	$(SG) sweep-cycles --manifest $< --sim verilator --sweep-lanes 1,4,16,64 --vectors 2 --out reports/sweep-cycles

# ---- verification at scale: the random regression (Dask) and mutation testing
CASES ?= 100

regress: | $(SETUP)
	$(SG) regress --cases $(CASES) --out reports/regress

faults: $(MANIFEST) $(FPGA)/snn/manifest.json $(ICE40)/snn/manifest.json | $(SETUP)
	$(SG) faults --manifest $(ICE40)/snn/manifest.json --sim icarus --vectors 2 --out reports/faults/ice40
	$(SG) faults --manifest $(FPGA)/snn/manifest.json --sim icarus --vectors 4 --out reports/faults/fpga
	$(SG) faults --manifest $(MANIFEST) --sim verilator --vectors 10 --out reports/faults/full

mutate: | $(SETUP)
	$(SG) mutate --sim icarus --mutants 100 --seed 0 --out reports/mutation
	$(SG) mutate --against regress --sim icarus --mutants 100 --cases 6 --seed 0 --out reports/mutation-regress

# ---- the fidelity/energy Pareto front: training x input coding x T on the FPGA-size network (100-64-64-784)
PARETO_T ?= 4,8,16,32,64
RATE_PENALTY ?= 1.0
PARETO_RUNS := $(FPGA) $(FPGA)-qcfs16 $(FPGA)-qcfs16-rate
PARETO_CODINGS := bernoulli stratified direct
PARETO_REPORTS := $(foreach r,$(PARETO_RUNS),$(foreach c,$(PARETO_CODINGS),$(r)/pareto-$(c)/report/conversion.json))

$(FPGA)-qcfs16/checkpoint.pt: | $(SETUP)
	$(SG) train --dataset $(DATASET) --seed $(SEED) --out $(@D) --hidden 64 --updates 1500 --qcfs-levels 16

$(FPGA)-qcfs16-rate/checkpoint.pt: | $(SETUP)
	$(SG) train --dataset $(DATASET) --seed $(SEED) --out $(@D) --hidden 64 --updates 1500 --qcfs-levels 16 --rate-penalty $(RATE_PENALTY)

# A QCFS-trained generator comes normalised (--norm unit); a ReLU one takes the 99.9th percentile.
PARETO_CONVERT = $(SG) convert --checkpoint $< --norm $(if $(findstring qcfs,$*),unit,p99.9) --images 1000 \
	--sweep-t $(PARETO_T) --no-peer

%/pareto-bernoulli/report/conversion.json: %/checkpoint.pt
	$(PARETO_CONVERT) --coding bernoulli --out $*/pareto-bernoulli

%/pareto-stratified/report/conversion.json: %/checkpoint.pt
	$(PARETO_CONVERT) --coding stratified --out $*/pareto-stratified

%/pareto-direct/report/conversion.json: %/checkpoint.pt
	$(PARETO_CONVERT) --coding direct --out $*/pareto-direct

pareto: $(PARETO_REPORTS)
	$(SG) pareto $^ --out reports/pareto

# Memristor spiking GAN (paper 001): both datasets unless DATASET is given on the command line.
MEMRISTOR_DATASET = $(if $(filter command line environment,$(origin DATASET)),$(DATASET),all)

memristor: | $(SETUP)
	$(SG) memristor --dataset $(MEMRISTOR_DATASET)
	$(SG) memristor-rtl --dataset $(MEMRISTOR_DATASET) --iterations 100 --out weights/memristor

# Time-to-first-spike Spiking-GAN (paper 002): classifier table on MNIST and Fashion-MNIST, GANs on MNIST;
# the exported TTFS generator on both simulators, the rate-coded FPGA network's cycles at the same P beside
# it, and both synthesised for xc7 and ECP5. TTFS_SILENCE: the share of G's hidden error that pushes its
# neurons towards silence, sparing the TTFS_BUDGET earliest spikes of an image (TTFS_SILENCE=0: the paper's recipe);
# TTFS_INIT_MIN / TTFS_INIT_MAX: the bounds of G's initial weights, hidden and output layer (signed hidden weights
# make its hidden neurons fire in noise-dependent order; TTFS_INIT_MIN="0 0" TTFS_INIT_MAX="8 2": all positive).
TTFS_SILENCE ?= 1.0
TTFS_BUDGET ?= 100
TTFS_INIT_MIN ?= -20 0
TTFS_INIT_MAX ?= 30 2
TTFS_DATASET = $(if $(filter command line environment,$(origin DATASET)),$(DATASET),all)
TTFS := weights/ttfs-mnist

ttfs: $(FPGA)/snn/manifest.json | $(SETUP)
	$(SG) ttfs --dataset $(TTFS_DATASET) --gan-silence $(TTFS_SILENCE) --gan-budget $(TTFS_BUDGET) \
		--gan-init-min $(TTFS_INIT_MIN) --gan-init-max $(TTFS_INIT_MAX) --export $(TTFS)/snn --out reports/ttfs
	$(SG) verify --manifest $(TTFS)/snn/manifest.json --sim verilator --vectors 10 --accept-open-bins --out reports/ttfs/verify-verilator
	$(SG) verify --manifest $(TTFS)/snn/manifest.json --sim icarus --vectors 10 --no-directed --out reports/ttfs/verify-icarus
	$(SG) verify --manifest $(FPGA)/snn/manifest.json --sim verilator --vectors 10 --out reports/ttfs/verify-rate-fpga
	$(SG) synth --manifest $(TTFS)/snn/manifest.json --targets xc7,ecp5 --ecp5-part 85k --out reports/ttfs/synth
	$(SG) synth --manifest $(FPGA)/snn/manifest.json --targets xc7,ecp5 --ecp5-part 85k --out reports/ttfs/synth-rate-fpga

# Exact ReLU -> TTFS conversion (docs/exact-ttfs.md) beyond the default pipeline, which converts, reports and
# verifies the full generator: the ramp RTL of the FPGA and iCE40 networks under Icarus, the FPGA network
# synthesised as a ramp network beside its rate-coded (the paper's) and direct-coded ones, and 100 mutants of the
# ramp layer's logic against the checks of spikegan verify.
exact: $(MANIFEST) $(FPGA)/snn-ramp/manifest.json $(ICE40)/snn-ramp/manifest.json \
       $(FPGA)/snn/manifest.json $(FPGA)/snn-direct/manifest.json | $(SETUP)
	$(SG) verify --manifest $(FPGA)/snn-ramp/manifest.json --sim icarus --vectors 4 --out reports/exact/verify-icarus-fpga
	$(SG) verify --manifest $(ICE40)/snn-ramp/manifest.json --sim icarus --vectors 2 --out reports/exact/verify-icarus-ice40
	$(SG) synth --manifest $(FPGA)/snn-ramp/manifest.json --targets xc7,ecp5 --ecp5-part 85k --out reports/exact/synth
	$(SG) synth --manifest $(FPGA)/snn-direct/manifest.json --targets xc7,ecp5 --ecp5-part 85k --out reports/exact/synth-direct-fpga
	$(SG) synth --manifest $(FPGA)/snn/manifest.json --targets xc7,ecp5 --ecp5-part 85k --out reports/exact/synth-rate-fpga
	$(SG) mutate --neuron ramp --sim icarus --mutants 100 --seed 0 --out reports/exact/mutation

$(FPGA)/snn-ramp/manifest.json: $(FPGA)/checkpoint.pt
	$(SG) convert --neuron ramp --checkpoint $< --no-report --out $(@D)

$(ICE40)/snn-ramp/manifest.json: $(ICE40)/checkpoint.pt
	$(SG) convert --neuron ramp --checkpoint $< --weight-bits 4 --lanes 4 --vectors 2 --no-report --out $(@D)

$(ICE40)/snn-board/manifest.json: $(ICE40)/checkpoint.pt
	$(SG) convert --checkpoint $< --paper --weight-bits 4 --membrane-bits 10 --lanes 4 --vectors 2 --images 64 \
		--no-peer --no-report --out $(@D)

$(FPGA)/snn-direct/manifest.json: $(FPGA)/checkpoint.pt
	$(SG) convert --neuron rate --checkpoint $< --images 64 --no-peer --out $(@D)

# The rate converter on the full generator (docs/generator.md): direct coding at T = 32, its T x normalisation x
# reset report with the sinabs peer, and its RTL under Verilator.
rate: $(RUN)/snn-direct/manifest.json | $(SETUP)
	$(SG) verify --manifest $< --sim verilator --vectors 10 --out reports/rate/verify-verilator

$(RUN)/snn-direct/manifest.json: $(RUN)/checkpoint.pt
	$(SG) convert --neuron rate --checkpoint $< --out $(@D)

# Should it spike? An exact-TTFS export beside its ANN twins from the same export (docs/ann-twin.md), and the rate
# converter's exports of the same network, each under both simulators: the FPGA network with synthesis (the rate
# converter's exports for their area only: make exact places and routes them), the iCE40 network and the full
# generator (which fits no FPGA) without.
compare: $(FPGA)/snn-ramp/manifest.json $(FPGA)/snn/manifest.json $(FPGA)/snn-direct/manifest.json | $(SETUP)
	$(SG) compare --manifest $< --vectors 4 --also $(FPGA)/snn/manifest.json $(FPGA)/snn-direct/manifest.json \
		--out reports/compare

compare-ice40: $(ICE40)/snn-ramp/manifest.json | $(SETUP)
	$(SG) compare --manifest $< --vectors 2 --no-synth --out reports/compare-ice40

compare-full: $(MANIFEST) $(RUN)/snn-direct/manifest.json | $(SETUP)
	$(SG) compare --manifest $< --vectors 2 --no-synth --also $(RUN)/snn-direct/manifest.json --out reports/compare-full

characterise: | $(SETUP)
	$(SG) characterise --out reports/characterise

# Bounded proofs of the blocks' properties with SymbiYosys (docs/verification.md); make test runs them to a
# small bound.
formal: | $(SETUP)
	$(SG) formal --out reports/formal

# On a board (docs/board.md), behind a UART: the FPGA network's exact-TTFS export on the ULX3S and the Arty; on the
# iCEBreaker's UP5K (5,280 logic cells) the iCE40 network rate-coded with 10-bit membranes (12 bits do not fit).
BOARD   ?= ulx3s
DESIGN  ?= snn
BOARD_MANIFEST ?= $(if $(filter icebreaker,$(BOARD)),$(ICE40)/snn-board,$(FPGA)/snn-ramp)/manifest.json
board: $(BOARD_MANIFEST) | $(SETUP)
	$(SG) board-build --board $(BOARD) --manifest $< --design $(DESIGN) --out build/board/$(BOARD)

board-sim: $(BOARD_MANIFEST) | $(SETUP)
	$(SG) board-sim --board $(BOARD) --manifest $< --design $(DESIGN) --out reports/board-sim/$(BOARD)

# Hybrid SNN/ANN GANs (paper 003): every generator variant with both discriminators, the same updates for all.
VARIANT ?= all
UPDATES ?= 1000
HYBRID_DATASET = $(if $(filter command line environment,$(origin DATASET)),$(DATASET),mnist)
HYBRID_OUT = reports/hybrid$(if $(filter all,$(VARIANT)),,-$(subst $(comma),-,$(VARIANT)))
comma := ,
DEVICE ?= cpu

hybrid: | $(SETUP)
	$(SG) hybrid --variant $(VARIANT) --dataset $(HYBRID_DATASET) --updates $(UPDATES) --device $(DEVICE) \
		$(if $(DATA_DIR),--data-dir $(DATA_DIR)) --out $(HYBRID_OUT)

# Bring your own network: an snnTorch classifier through NIR to RTL, and the generator out to the peers.
NIR_EXPORT := weights/nir-mnist/snn

nir: $(FPGA)/snn/manifest.json | $(SETUP)
	$(SG) nir --manifest $(FPGA)/snn/manifest.json --export $(NIR_EXPORT) --out reports/nir
	$(SG) rtl --manifest $(NIR_EXPORT)/manifest.json --out build/rtl/nir-mnist
	$(SG) verify --manifest $(NIR_EXPORT)/manifest.json --sim verilator --vectors 10 --accept-open-bins --rtl build/rtl/nir-mnist --out reports/nir/verify-verilator
	$(SG) verify --manifest $(NIR_EXPORT)/manifest.json --sim icarus --vectors 10 --no-directed --out reports/nir/verify-icarus

# ---- the results summary of the run: from the reports above, never typed by hand
report: | $(SETUP)
	$(SG) report --run $(RUN) --fpga-run $(FPGA) --out reports

readme: | $(SETUP)
	$(SG) report --run $(RUN) --fpga-run $(FPGA) --out reports --pages README.md docs

test: $(SETUP)
	$(PY) -m pytest -n 2 --durations=20

test-fast: $(SETUP)
	$(PY) -m pytest -n 2 -m "not slow and not sim"

clean:
	rm -rf sim_builds build reports
