# Quick start: `make demo` and `make test`. Both build .venv and resolve Kafka on first use.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp

.PHONY: setup demo test test-long test-unit bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[test,bench]'
	touch $(STAMP)

setup: $(STAMP)
	@$(PY) tools/kafka_local.py fetch

demo: setup
	$(PY) tools/demo.py

test: setup
	$(PY) -m pytest -q -p no:cacheprovider --timeout=900 tests

test-long: setup
	PUREKAFKA_HYPOTHESIS=long $(PY) -m pytest -q -p no:cacheprovider --timeout=3600 tests

test-unit: setup
	$(PY) -m pytest -q -m "not broker and not cluster and not java" tests

bench: setup
	$(PY) bench/bench_records.py
	$(PY) bench/bench_producer.py

clean:
	rm -rf $(VENV) .java-build .kafka-local .hypothesis
