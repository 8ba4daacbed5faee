#!/usr/bin/env bash
# The trainer's device check in one command: bench/gpu_check.py --help says what it measures.
#   bash bench/gpu_check.sh [--peak-tflops TF] [gpu_check.py flags]
# Runs with the project installed (.venv) or, on a machine that only has torch and
# transformers, from this checkout: its package folders under their import names.
set -euo pipefail
cd "$(dirname "$0")/.."
python=${PYTHON:-$(if [ -x .venv/bin/python ]; then echo .venv/bin/python; else echo python3; fi)}
if ! "$python" -c "import xlmr.trainer" 2>/dev/null; then
    shim=$(mktemp -d)
    mkdir "$shim/xlmr"
    for package in common trainer tokenizer evaluation; do ln -s "$PWD/$package" "$shim/xlmr/$package"; done
    export PYTHONPATH="$shim${PYTHONPATH:+:$PYTHONPATH}"
fi
exec "$python" bench/gpu_check.py "$@"
