# Two entry points for a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# The archive beside this checkout, else the machine's shared copy; CIFAR_TAR=... overrides both.
CIFAR_TAR ?= $(firstword $(wildcard ../shared/datasets/cifar10-jpg.tar.gz /work/shared/datasets/cifar10-jpg.tar.gz) \
	../shared/datasets/cifar10-jpg.tar.gz)
DEMO_DIR := data/cifar10

.PHONY: setup setup-reference demo test test-reference bench clean

# torch==2.13.0 is the CPU build (a plain `torch` would pull a multi-GB CUDA build). The test extra brings
# every optional reader (HEIC, camera RAW), so `make demo` and `make test` read a phone's photos too.
$(BIN)/imgorg: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet torch==2.13.0 -e '.[test]'
	touch $@

setup: $(BIN)/imgorg

$(DEMO_DIR)/test:
	@test -f $(CIFAR_TAR) || { echo "CIFAR-10 archive not found at $(CIFAR_TAR): pass CIFAR_TAR=/path/to/cifar10-jpg.tar.gz"; exit 1; }
	mkdir -p $(DEMO_DIR)
	tar -xzf $(CIFAR_TAR) -C $(DEMO_DIR) test

# The main job on the bundled default: CIFAR-10's 10,000 test images, labels used only to score.
demo: setup $(DEMO_DIR)/test
	$(BIN)/imgorg run $(DEMO_DIR)/test --out workspaces/cifar10-test --k 10

test: setup
	$(BIN)/python -m pytest -m "not reference"

# The hub backbones checked against their reference implementations (docs/backbones.md).
# torchvision imports only beside torch 2.14.1 (a CUDA build, about 5.5 GB), so these
# get a venv of their own. dinov2 pins torch 2.0 and xformers it does not need: --no-deps.
REF_VENV := .venv-reference
$(REF_VENV)/bin/imgorg: pyproject.toml
	$(PYTHON) -m venv $(REF_VENV)
	$(REF_VENV)/bin/pip install --quiet --upgrade pip
	$(REF_VENV)/bin/pip install --quiet torch==2.14.1 -e '.[reference]'
	$(REF_VENV)/bin/pip install --quiet --no-deps dinov2==0.0.1.dev2
	touch $@

setup-reference: $(REF_VENV)/bin/imgorg

test-reference: setup-reference
	IMGORG_REFERENCE_RUN=1 $(REF_VENV)/bin/python -m pytest -m reference tests/test_reference_backbones.py tests/test_gpu_decode.py

bench: setup $(DEMO_DIR)/test
	$(BIN)/python benchmarks/embed_throughput.py --images $(DEMO_DIR)/test

clean:
	rm -rf $(VENV) $(REF_VENV) $(DEMO_DIR) workspaces
