# The two commands of the README. Each creates .venv and installs what it needs.
#   make demo   run xlmr-corpus end to end on the bundled sample, then xlmr-tokenizer (and its
#               encode into token shards), then a short CPU training run of the tiny model, loaded back with transformers,
#               then xlmr-eval on it (prints the per-language table)
#   make test   run the test suite
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin

.PHONY: demo test bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# Editable install of the pipeline, the other stages, the Spark engine and the test tools. setuptools reports
# how it made the editable install as a warning (it has no other channel to pip, see
# pypa/packaging-problems#558): a notice, not a problem, so it is not shown.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	PYTHONWARNINGS="ignore:Editable installation" $(BIN)/pip install --quiet -e '.[all,dev,spark]'
	touch $@

# The corpus, a tokenizer on it (8,000 pieces: what the small sample can fill), the corpus
# encoded with it into token shards, then a tiny model trained on them for 80 steps on CPU, loaded back through transformers and evaluated.
demo: $(VENV)/.installed
	$(BIN)/xlmr-corpus --input sample/sample.warc.gz sample/sample.warc.wet.gz \
		--output out/corpus --overwrite
	$(BIN)/xlmr-tokenizer --corpus out/corpus --output out/tokenizer \
		--vocab-size 8000 --sentences 20000
	$(BIN)/xlmr-tokenizer encode --corpus out/corpus --tokenizer out/tokenizer --output out/tokens
	$(BIN)/xlmr-train --data out/tokens --tokenizer out/tokenizer --output out/model --overwrite \
		--model tiny --max-steps 80 --warmup 8 --batch-size 16 --seq-len 128 --workers 1 \
		--save-every 40 --eval-every 40 --eval-paragraphs 50
	$(BIN)/python -c "from transformers import pipeline; \
		fill = pipeline('fill-mask', model='out/model/final', top_k=3); \
		print('fill-mask through transformers from out/model/final:', [(p['token_str'], round(p['score'], 3)) for p in fill('Alle Menschen sind frei und <mask> an Würde.')])"
	$(BIN)/xlmr-eval --model out/model/final --output out/eval
	@echo "dataset card: out/corpus/README.md (+ 6 plots); model card: out/model/README.md (+ 2 plots);" \
		"evaluation: out/eval/eval.json, out/eval/accuracy_by_language.png"

# One test process per core (pytest-xdist); an idle process takes tests queued for a busy one
# (worksteal), so the two finish together.
test: $(VENV)/.installed
	$(BIN)/python -m pytest -q -n auto --dist worksteal

bench: $(VENV)/.installed
	$(BIN)/python bench/bench_pipeline.py
	$(BIN)/python bench/bench_lm.py
	$(BIN)/python bench/bench_grow.py
	@# its pages may not be republished, so they are read from ../shared beside the checkout
	@if [ -d ../shared/data/html ]; then $(BIN)/python bench/extraction_quality.py; \
	else echo "bench/extraction_quality.py skipped: no ../shared/data/html (see its --html)"; fi
	$(BIN)/python bench/bench_tokenizer.py
	$(BIN)/python bench/bench_trainer.py
	$(BIN)/python bench/bench_eval.py

clean:
	rm -rf $(VENV) out
