# Every target sets itself up: a fresh clone needs only python3.11, make and git.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PROPERTY_TESTS := $(shell find tests -name 'test_*_property.py')

.PHONY: all setup demo test fuzz lint dist dist-check bench screenshots templates clean

all: test

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	touch $(STAMP)

setup: $(STAMP)

demo: $(STAMP)
	$(BIN)/cutover-probe demo

# Spread over worker processes (pytest-xdist): most of the suite's time is CPU in two kinds of
# process (this one and the CLI runs it starts) or waiting for a deadline, so more workers than
# cores pays. `make test TEST_WORKERS=0` runs it in one process (same as plain `pytest`).
# Bytecode is cached even where the environment says not to (PYTHONDONTWRITEBYTECODE): every
# worker and every CLI run a test starts would otherwise compile the tests (pytest's assertion
# rewriting, ~2.5 s of CPU a worker) and the package (~0.1 s a run) again.
# Two more workers than cores, at least 4 (on 2 cores, quiet: 4 workers 40-44 s, 5 39-41 s,
# 3 44-51 s; the workers wait out deadlines and their CLI processes, so a core is free then).
TEST_WORKERS ?= $(shell $(PYTHON) -c 'import os; print(max(4, (os.cpu_count() or 1) + 2))')
test: $(STAMP)
	env -u PYTHONDONTWRITEBYTECODE $(BIN)/python -m pytest -q -n $(TEST_WORKERS) --dist loadgroup

# On demand: the property tests randomized, 20 times the examples (tests/conftest.py profiles).
# A failure found here is pinned as an @example so `make test` (derandomized) checks it.
fuzz: $(STAMP)
	$(BIN)/python -m pytest -q --hypothesis-profile=fuzz $(PROPERTY_TESTS)

lint: $(STAMP)
	$(BIN)/ruff check cutover_probe tests
	$(BIN)/ruff format --check cutover_probe tests
	$(BIN)/mypy --strict cutover_probe

# The wheel and sdist, into dist/.
dist: $(STAMP)
	$(BIN)/python -m build --outdir dist .

# In .ci/run: build the wheel, install it into a fresh venv in a temporary directory and run
# --version, --help, plan, demo and quick from an empty directory (tests/dist_check.sh).
dist-check: $(STAMP)
	bash tests/dist_check.sh $(BIN)/python

# On demand, not in `make test`: docs/performance.md from the simulated fleet at 100 ms/request
# (about 5 to 8 minutes on 2 cores; `.venv/bin/python bench/run.py --quick` for a 2-minute pass).
bench: $(STAMP)
	$(BIN)/python bench/run.py --latency-ms 100 --repeat 5

# docs/img/report-go.png, report-no-go.png and watch-flapping.png: photographed in headless Chromium.
screenshots: $(STAMP)
	$(BIN)/python bench/screenshots.py --out docs/img

clean:
	rm -rf $(VENV) build dist *.egg-info

# cutover_probe/compiled_report.py: report.html's template compiled ahead of time, after an edit
# of templates/report.html.j2 or a new Jinja2 (tests/test_compiled_report.py fails until then).
templates: $(STAMP)
	$(BIN)/python -c 'from cutover_probe.htmlreport import write_compiled_template as w; w()'
