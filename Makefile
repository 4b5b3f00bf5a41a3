# The course's two commands (see README.md):
#   make book   set up, execute every notebook headless, build the book
#   make test   set up, run every test
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: book test setup notebooks clean

setup: $(VENV)/.installed

$(VENV)/.installed: requirements.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	touch $@

book: setup
	$(BIN)/python tools/run_notebooks.py --book

test: setup
	$(BIN)/python -m pytest tests --nbval-lax --nbval-current-env notebooks

# Re-execute the committed notebooks in place (for authors, before committing).
notebooks: setup
	$(BIN)/python tools/run_notebooks.py --in-place

clean:
	rm -rf _build
