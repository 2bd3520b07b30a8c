# mpc_jepa: every target sets up .venv itself (idempotent; fast once done).
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
TORCH ?= torch==2.13.0
export MUJOCO_GL ?= egl
export PYTHONHASHSEED := 0

.PHONY: install demo test test-slow bench bench-ogbench bench-learning lint notebooks clean

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

# The peers (mbrl-lib, pytorch_mppi) live in a separate environment: never runtime dependencies.
# mbrl 0.2.0 pins hydra 1.0 / omegaconf 2.0, which do not install on Python 3.11: --no-deps + newer ones.
BENCH_VENV := .venv-bench
$(BENCH_VENV)/.installed: pyproject.toml
	test -x $(BENCH_VENV)/bin/python || $(PYTHON) -m venv $(BENCH_VENV)
	$(BENCH_VENV)/bin/python -m pip install -q --upgrade pip
	$(BENCH_VENV)/bin/python -m pip install -q "$(TORCH)"
	$(BENCH_VENV)/bin/python -m pip install -q -e .
	$(BENCH_VENV)/bin/python -m pip install -q --no-deps mbrl==0.2.0
	$(BENCH_VENV)/bin/python -m pip install -q "hydra-core==1.3.*" "omegaconf==2.3.*" gymnasium termcolor pytorch-mppi
	touch $@

bench: $(BENCH_VENV)/.installed
	$(BENCH_VENV)/bin/python benchmarks/run.py

# OGBench's protocol on the point mazes: hours on a CPU; results are stored as they come and a
# rerun resumes (run it in the background: nohup make bench-ogbench &)
bench-ogbench: install
	$(VENV)/bin/mpc-jepa bench --sections ogbench

# Learning by acting on dm-control's reward tasks, 100k environment steps per run (about an hour
# each on this CPU); resumable like bench-ogbench: nohup make bench-learning &
bench-learning: install
	OMP_NUM_THREADS=1 $(VENV)/bin/mpc-jepa bench --sections learning

# Re-execute the notebooks and store them with their figures (they read on a code host unrun).
notebooks: install
	$(PY) -c "import sys, nbformat; from nbclient import NotebookClient; \
	[(NotebookClient(nb := nbformat.read(p, 4), timeout=900, kernel_name='python3').execute(), \
	nbformat.write(nb, p)) for p in sys.argv[1:]]" notebooks/*.ipynb

lint: install
	$(VENV)/bin/ruff check mpc_jepa tasks tests benchmarks
	$(VENV)/bin/ruff format --check mpc_jepa tasks tests benchmarks

clean:
	rm -rf $(VENV) $(BENCH_VENV) runs .pytest_cache
