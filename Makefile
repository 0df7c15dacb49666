# Quick start: `make run` (the bot; console chat without BOT_TOKEN) and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: run test install install-test lint bench

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

# OCR: rapidocr-onnxruntime without its dependencies, whose `opencv-python` would replace the
# headless OpenCV of the `images` extra (and need libGL); its other dependencies are in the extra
RAPIDOCR ?= rapidocr-onnxruntime==1.4.4

install: $(BIN)/python
	$(BIN)/python -m pip install -q -e ".[images]"
	$(BIN)/python -m pip install -q --no-deps "$(RAPIDOCR)"

install-test: $(BIN)/python
	$(BIN)/python -m pip install -q -e ".[test,images]"
	$(BIN)/python -m pip install -q --no-deps "$(RAPIDOCR)"

run: install
	$(BIN)/refund-bot

test: install-test
	$(BIN)/python -m pytest -q

lint: install-test
	$(BIN)/ruff check bot tests bench
	$(BIN)/ruff format --check bot tests bench
	$(BIN)/mypy bot
	$(BIN)/mypy --strict bot/domain bot/services

bench: install
	$(BIN)/python bench/run_all.py
