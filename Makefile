# Quick start: `make demo` and `make test`. Both build .venv and resolve Kafka on first use.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp

.PHONY: system-tools setup demo typecheck test test-long test-unit test-interop bench clean

# After system-tools: the test extra's gssapi package builds against libkrb5-dev.
$(STAMP): pyproject.toml | system-tools
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[test,bench]'
	touch $(STAMP)

# Command-line tools the tests use besides Python: Java and Maven for the broker and the
# cross-checks, openssl for the secure listeners' certificates, tcpdump/tshark/xxd/hexdump
# for the decode tool's capture tests. Installed with apt when missing (CI runs as root on a
# fresh machine). MIT Kerberos (KDC, kadmin.local, kinit, krb5-config for building gssapi)
# for the GSSAPI tests' throwaway KDC.
SYSTEM_TOOLS := java:openjdk-17-jdk-headless javac:openjdk-17-jdk-headless mvn:maven openssl:openssl \
	tcpdump:tcpdump tshark:tshark dumpcap:tshark editcap:tshark xxd:xxd hexdump:bsdextrautils \
	krb5kdc:krb5-kdc kadmin.local:krb5-admin-server kinit:krb5-user krb5-config:libkrb5-dev cc:gcc

system-tools:
	@pkgs=""; for pair in $(SYSTEM_TOOLS); do \
	  command -v $${pair%%:*} >/dev/null 2>&1 || pkgs="$$pkgs $${pair##*:}"; done; \
	if [ -n "$$pkgs" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "installing$$pkgs"; \
	    DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
	    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$pkgs >/dev/null; \
	  else echo "missing system packages:$$pkgs (install them; some tests need them)"; fi; fi

setup: $(STAMP) system-tools
	@$(PY) tools/kafka_local.py fetch --interop

demo: setup
	$(PY) tools/demo.py

# mypy --strict (pyproject's [tool.mypy]) on purekafka/ first: a type error fails the run.
typecheck: setup
	$(VENV)/bin/mypy

test: typecheck
	$(PY) -m pytest -q -p no:cacheprovider --timeout=900 tests

test-long: setup
	PUREKAFKA_HYPOTHESIS=long $(PY) -m pytest -q -p no:cacheprovider --timeout=3600 tests

test-unit: setup
	$(PY) -m pytest -q -m "not broker and not cluster and not java" tests

# Every Kafka line of tests/interop, one broker at a time; prints the matrix. (`make test`
# runs the smoke subset, tests/interop/test_lines.py, on every line.)
test-interop: setup
	$(PY) tools/interop_matrix.py

bench: setup
	$(PY) bench/bench_records.py
	$(PY) bench/bench_producer.py

clean:
	rm -rf $(VENV) .java-build .kafka-local .hypothesis
