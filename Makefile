# Each target sets itself up: a fresh clone needs only Python 3.11, pip and make.
# The Python 3.11 to build .venv with: the fastest kind installed (see tools/python-for-venv.sh).
PYTHON ?= $(shell sh tools/python-for-venv.sh)
VENV := .venv
BIN := $(VENV)/bin
READY := $(VENV)/.installed
SOURCES := $(shell find src -name '*.py' -o -name '*.yaml' -o -name '*.html' -o -name '*.js')

.PHONY: setup demo test lint bench lock clean voice

setup: $(READY)

# The package is installed, not linked, because the routing engine is compiled (mypyc, see setup.py):
# any change under src/ re-installs it before the next run.
$(READY): requirements.lock pyproject.toml setup.py $(SOURCES)
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.lock
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation --force-reinstall .
	rm -rf build
	touch $(READY)

demo: $(READY)
	$(BIN)/baiying demo

# One worker per core (pytest-xdist); each worker starts its own throwaway PostgreSQL cluster. Work stealing
# keeps both cores busy to the end, since a few real-server and voice tests take far longer than the rest.
# TEST_WORKERS=0 runs in this process (for pdb).
TEST_WORKERS ?= auto
test: $(READY)
	$(BIN)/python -m pytest --numprocesses=$(TEST_WORKERS) --dist=worksteal $(PYTEST_ARGS)

lint: $(READY)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks
	$(BIN)/mypy
	$(BIN)/lint-imports

# Real voice, opt-in (root, Debian): Kamailio + Baiying call control + two baresip agents + sipp callers in a
# private network namespace on loopback; installs the Debian packages if missing. `make demo` needs none.
VOICE_PACKAGES := kamailio kamailio-extra-modules kamailio-json-modules rtpengine-daemon sip-tester baresip-core espeak-ng
VOICE_SCENARIOS ?= queue abandon rona nophone menu record transfer transfer-api transfer-agent attended restart
$(READY): $(wildcard src/baiying/telephony/*.tmpl src/baiying/telephony/lab/*.xml)
voice: $(READY)
	@missing=$$(for p in $(VOICE_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  echo "installing $$missing"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing; \
	fi
	@for s in $(VOICE_SCENARIOS); do \
	  echo "== voice lab: $$s (logs, configuration and result.json in var/voice/$$s)"; \
	  rm -rf var/voice/$$s; \
	  timeout -k 5 90 unshare -n $(BIN)/python -m baiying.telephony.lab.run --quiet --out var/voice/$$s --scenario $$s \
	    || exit 1; \
	done

bench: $(READY)
	$(BIN)/python -m benchmarks

# Re-pin dependencies after editing pyproject.toml (needs uv: pip install uv).
lock:
	uv pip compile pyproject.toml --extra dev --extra bench --python-version 3.11 -o requirements.lock

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
