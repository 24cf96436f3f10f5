# Every target sets itself up: a fresh clone needs only python3.11, make and git.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PROPERTY_TESTS := $(wildcard tests/test_*_property.py)

.PHONY: all setup demo test fuzz lint bench screenshots clean

all: test

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	touch $(STAMP)

setup: $(STAMP)

demo: $(STAMP)
	$(BIN)/cutover-probe demo

test: $(STAMP)
	$(BIN)/python -m pytest -q

# On demand: the property tests randomized, 20 times the examples (tests/conftest.py profiles).
# A failure found here is pinned as an @example so `make test` (derandomized) checks it.
fuzz: $(STAMP)
	$(BIN)/python -m pytest -q --hypothesis-profile=fuzz $(PROPERTY_TESTS)

lint: $(STAMP)
	$(BIN)/ruff check cutover_probe tests
	$(BIN)/ruff format --check cutover_probe tests
	$(BIN)/mypy --strict cutover_probe

# On demand, not in `make test`: docs/performance.md from the simulated fleet at 100 ms/request.
bench: $(STAMP)
	$(BIN)/python bench/run.py --latency-ms 100 --repeat 5

# docs/img/report-go.png and report-no-go.png: demo reports photographed in headless Chromium.
screenshots: $(STAMP)
	$(BIN)/python bench/screenshots.py --out docs/img

clean:
	rm -rf $(VENV) build *.egg-info
