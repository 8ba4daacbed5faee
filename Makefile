# The two commands of the README. Each creates .venv and installs what it needs.
#   make demo   run xlmr-corpus end to end on the bundled sample, then xlmr-tokenizer
#   make test   run the test suite
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin

.PHONY: demo test bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# Editable install of the pipeline, the other stages and the test tools.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[all,dev]'
	touch $@

# The corpus, then a tokenizer on it (8,000 pieces: what the small sample can fill).
demo: $(VENV)/.installed
	$(BIN)/xlmr-corpus --input sample/sample.warc.gz sample/sample.warc.wet.gz \
		--output out/corpus --overwrite
	$(BIN)/xlmr-tokenizer --corpus out/corpus --output out/tokenizer \
		--vocab-size 8000 --sentences 20000

test: $(VENV)/.installed
	$(BIN)/python -m pytest -q

bench: $(VENV)/.installed
	$(BIN)/python bench/bench_pipeline.py
	$(BIN)/python bench/bench_tokenizer.py

clean:
	rm -rf $(VENV) out
