# Two commands do all the set-up on a fresh machine:
#   make lab    create .venv if needed, install, open JupyterLab on notebooks/
#   make test   create .venv if needed, install, run every test and every notebook
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
# The tests also need nbgrader (the instructor extra, for tests/tools/test_nbgrader_export.py); learners do not.
INSTRUCTOR_STAMP := $(VENV)/.installed-instructor
PIP    := $(BIN)/python -m pip
PYTEST_WORKERS ?= 2

.PHONY: install install-instructor browser-deps lab test test-fast bench strip clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# CI runs on a CPU-only machine: a CUDA build of torch there means the pin slipped.
define NO_NVIDIA_IN_CI
	@if [ -n "$$CI" ] && $(PIP) list --format=freeze | grep -i '^nvidia'; then \
	  echo "error: nvidia-* packages were installed; torch must come from the pinned CPU wheel (constraints.txt)." >&2; \
	  exit 1; \
	fi
endef

# Reinstall only when the package's metadata or the pins change.
$(STAMP): pyproject.toml constraints.txt | $(BIN)/python
	$(PIP) install --quiet --upgrade pip
	$(PIP) install --quiet -c constraints.txt -e '.[notebook,dev]'
	$(NO_NVIDIA_IN_CI)
	touch $(STAMP)

# The same, plus nbgrader: `make test` installs it, `make lab` does not.
$(INSTRUCTOR_STAMP): $(STAMP)
	$(PIP) install --quiet -c constraints.txt -e '.[notebook,dev,instructor]'
	$(NO_NVIDIA_IN_CI)
	touch $(INSTRUCTOR_STAMP)

install: $(STAMP)

install-instructor: $(INSTRUCTOR_STAMP)

# Workshop machines and containers often run as root, which JupyterLab refuses without --allow-root.
ROOT_FLAG := $(shell [ "$$(id -u)" = 0 ] && echo --allow-root)

lab: install
	$(BIN)/jupyter lab $(ROOT_FLAG) $(LAB_ARGS) notebooks/

# Unit tests and every notebook under nbval (pyproject.toml adds --dist loadfile: one notebook, one worker).
# One BLAS/OpenMP thread per process: with two workers on two cores, multithreaded OpenBLAS and torch
# oversubscribe the cores and small matrix products slow down a hundredfold.
TEST_THREADS := OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1

test: install-instructor browser-deps
	$(TEST_THREADS) $(BIN)/python -m pytest -n $(PYTEST_WORKERS)

# tests/browser drives JupyterLab in Debian's chromium through Playwright (never `playwright install`,
# which downloads a browser). Installed here when missing and allowed (root, or sudo without a password);
# otherwise the browser tests are skipped, or fail when $CI is set.
CHROMIUM ?= /usr/bin/chromium

browser-deps:
	@if [ -x "$(CHROMIUM)" ]; then :; \
	elif ! command -v apt-get >/dev/null; then \
	  echo "note: $(CHROMIUM) is missing and there is no apt-get: the browser tests will be skipped." >&2; \
	elif [ "$$(id -u)" = 0 ]; then \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
	    || echo "warning: apt-get could not install chromium: the browser tests will be skipped (CI: fail)." >&2; \
	elif sudo -n true 2>/dev/null; then \
	  (sudo -n apt-get update -qq && sudo -n env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
	    || echo "warning: apt-get could not install chromium: the browser tests will be skipped (CI: fail)." >&2; \
	else \
	  echo "note: $(CHROMIUM) is missing; run 'sudo apt-get install chromium' for the browser tests (skipped until then)." >&2; \
	fi

# The unit tests alone, without the notebooks.
test-fast: install-instructor
	$(BIN)/python -m pytest tests

bench: install browser-deps
	$(BIN)/python benchmarks/run.py

strip: install
	$(BIN)/nbstripout notebooks/*.ipynb

clean:
	rm -rf $(VENV) build *.egg-info
