# mpc_jepa: every target sets up .venv itself (idempotent; fast once done).
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
TORCH ?= torch==2.13.0
export MUJOCO_GL ?= egl
export PYTHONHASHSEED := 0

.PHONY: install demo test test-slow bench lint clean

# The stamp depends on pyproject.toml so a dependency change reinstalls.
$(VENV)/.installed: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	# pinned CPU torch first, so no other requirement pulls a multi-GB CUDA build (override: make TORCH=...)
	$(PY) -m pip install -q "$(TORCH)"
	$(PY) -m pip install -q -e ".[test]"
	touch $@

install: $(VENV)/.installed

demo: install
	$(VENV)/bin/mpc-jepa demo

test: install
	$(PY) -m pytest -q

test-slow: install
	$(PY) -m pytest -q -m slow

bench: install
	$(PY) benchmarks/run.py

lint: install
	$(VENV)/bin/ruff check mpc_jepa tasks tests benchmarks

clean:
	rm -rf $(VENV) runs .pytest_cache
