# Quick start: `make run` (the bot; console chat without BOT_TOKEN) and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: run test install install-test lint bench

# OCR: rapidocr-onnxruntime without its dependencies, whose `opencv-python` would replace the
# headless OpenCV of the `images` extra (and need libGL); its other dependencies are in the extra
RAPIDOCR ?= rapidocr-onnxruntime==1.4.4
# extras of `make install` (the Dockerfile adds e.g. `embeddings` through its EXTRAS build arg)
EXTRAS ?= images

# The packages are installed once and again only when pyproject.toml (or this file) changes:
# the stamps record the last install. The code itself is installed editable (`-e`), so a
# change of the code needs no install.
STAMP := $(VENV)/.installed
TEST_STAMP := $(VENV)/.installed-test

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(STAMP): pyproject.toml Makefile | $(BIN)/python
	$(BIN)/python -m pip install -q -e ".[$(EXTRAS)]"
	$(BIN)/python -m pip install -q --no-deps "$(RAPIDOCR)"
	touch $@

$(TEST_STAMP): pyproject.toml Makefile | $(BIN)/python
	$(BIN)/python -m pip install -q -e ".[test,$(EXTRAS)]"
	$(BIN)/python -m pip install -q --no-deps "$(RAPIDOCR)"
	touch $@ $(STAMP)

install: $(STAMP)

install-test: $(TEST_STAMP)

run: install
	$(BIN)/refund-bot

test: install-test
	$(BIN)/python -m pytest -q

lint: install-test
	$(BIN)/ruff check bot tests bench
	$(BIN)/ruff format --check .
	$(BIN)/mypy bot
	$(BIN)/mypy --strict bot/domain bot/services

bench: install
	$(BIN)/python bench/run_all.py
