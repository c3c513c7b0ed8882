# Two commands do all set-up on a machine with only Python 3.11+:
#   make run   - venv, install, migrate, demo data, web + worker on embedded defaults
#   make test  - venv, install (with dev tools), the import contracts, the suite
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
export FLASK_APP := wsgi

.PHONY: run reset test lint format messages reliability bench soak clean mutation mutation-sample

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(VENV)/.run-deps: requirements.txt | $(BIN)/python
	$(BIN)/pip install -q -r requirements.txt
	touch $@

$(VENV)/.dev-deps: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/pip install -q -r requirements-dev.txt
	touch $@ $(VENV)/.run-deps

run: $(VENV)/.run-deps
	bash scripts/system_deps.sh
	$(BIN)/flask db upgrade
	$(BIN)/flask seed-demo
	$(BIN)/python scripts/devrun.py

# Forget the demo data (database, embedded Redis, mail, book files); the next
# `make run` starts from a fresh copy. Stop `make run` first.
reset:
	rm -rf $${INSTANCE_PATH:-instance}

# The import contracts (pyproject.toml, docs/architecture.md) run first: a
# dependency in the wrong direction fails the build before any test runs.
test: $(VENV)/.dev-deps
	bash scripts/system_deps.sh test
	$(BIN)/lint-imports --no-logo
	$(BIN)/python -m pytest -m "not slow" $(PYTEST_ARGS)

lint: $(VENV)/.dev-deps
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports --no-logo

format: $(VENV)/.dev-deps
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# Translations (docs/i18n.md): extract every string marked with _() / {% trans %},
# merge new and changed ones into the ja and ne catalogs (they arrive untranslated
# or fuzzy, and the suite fails until a translator fills them in), then compile
# the .mo files the app reads. The .mo files are committed, so a fresh clone
# speaks Japanese and Nepali without this step.
messages: $(VENV)/.dev-deps
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext -k lazy_ngettext:1,2 --no-location \
	  --sort-output --width=88 --project=storefront --version=0.1.0 \
	  --copyright-holder=Storefront --msgid-bugs-address=shop@storefront.test \
	  -o app/translations/messages.pot .
	$(BIN)/pybabel update -i app/translations/messages.pot -d app/translations \
	  --width=88 --ignore-obsolete
	$(BIN)/pybabel compile -d app/translations --statistics

# Every fault and race scenario (including the slow ones) on SQLite and on the
# PostgreSQL/Redis services, then the table in docs/reliability.md.
RELIABILITY_DB ?= postgresql+psycopg://postgres@127.0.0.1:5432/test
RELIABILITY_REDIS ?= redis://127.0.0.1:6379/15
RELIABILITY_TESTS ?= tests/reliability tests/payments/test_concurrency.py \
	tests/promotions/test_promo_race.py tests/training/test_concurrency.py \
	tests/events/test_event_concurrency.py tests/booklets/test_stock_race.py \
	tests/security tests/fuzz
reliability: $(VENV)/.dev-deps
	mkdir -p instance
	rm -f instance/reliability.json
	status=0; \
	TEST_DATABASE_URL=$${TEST_DATABASE_URL:-$(RELIABILITY_DB)} \
	TEST_REDIS_URL=$${TEST_REDIS_URL:-$(RELIABILITY_REDIS)} \
	RELIABILITY_REPORT=$(CURDIR)/instance/reliability.json \
	$(BIN)/python -m pytest -m "" -q -p no:cacheprovider $(RELIABILITY_TESTS) || status=$$?; \
	$(BIN)/python scripts/reliability_report.py instance/reliability.json docs/reliability.md \
	  && exit $$status

# Throughput, latency and scale against their ceilings (issues #9, #19): gunicorn with
# the production config, python worker.py, PostgreSQL and Redis, measured with wrk;
# prints the table and writes docs/benchmarks.md. Drops and re-creates
# BENCH_DATABASE_URL and flushes BENCH_REDIS_URL. Every figure is three runs
# (min / median / max, load average beside it); about 15 minutes on 2 cores.
bench: $(VENV)/.dev-deps
	$(BIN)/python -m bench.run

# Mutation testing of the money core (issue #20, docs/mutation.md): mutmut breaks
# the rules one at a time in a copy (mutants/) and runs the tests that defend
# them, on SQLite, with a Redis server of its own (each worker claims a free
# database). Writes the per-module table; under 30 minutes on 2 cores.
MUTATION_REDIS_PORT ?= 5790
MUTATION_CHILDREN ?= 2
MUTATION_MUTANTS ?= \
	'app.lifecycle.*' 'app.conditional.*' 'app.orders.states.*' \
	'app.orders.transitions.x_order_transition__*' 'app.payments.states.*' \
	'app.payments.transitions.x_payment_transition__*' \
	'app.payments.transitions.x_refund_transition__*' \
	'app.payments.finalise.*' \
	'app.payments.gateways.esewa.x_sign__*' \
	'app.payments.gateways.komoju.x_sign__*' \
	'app.payments.gateways.paysession.x_sign__*'
MUTATION_REPORT ?= docs/mutation.md
MUTATION_MIN_KILL ?= 0
# CI's sample, a few minutes: the state-table code, the dispatch of a gateway's
# answer, the first mutants of `_capture` (its amount and currency check) and
# eSewa's signature.
MUTATION_SAMPLE ?= 'app.lifecycle.*' 'app.payments.finalise.x_apply_result__*' \
	'app.payments.finalise.x__capture__mutmut_?' \
	'app.payments.gateways.esewa.x_sign__*'
mutation: $(VENV)/.dev-deps
	rm -rf mutants
	mkdir -p instance
	redis-server --port $(MUTATION_REDIS_PORT) --bind 127.0.0.1 --save '' \
	  --appendonly no --daemonize yes --pidfile $(CURDIR)/instance/mutation-redis.pid
	status=0; start=$$(date +%s); \
	env -u TEST_DATABASE_URL -u CI TEST_REDIS_URL='redis://127.0.0.1:$(MUTATION_REDIS_PORT)/*' \
	  $(BIN)/mutmut run --max-children $(MUTATION_CHILDREN) $(MUTATION_MUTANTS) \
	  > instance/mutation.log 2>&1 || status=$$?; \
	kill $$(cat instance/mutation-redis.pid); \
	tail -c 400 instance/mutation.log; echo; \
	$(BIN)/python scripts/mutation_report.py --seconds $$(( $$(date +%s) - start )) \
	  --out $(MUTATION_REPORT) --min-kill $(MUTATION_MIN_KILL) $(MUTATION_MUTANTS) \
	  && exit $$status

mutation-sample:
	$(MAKE) mutation MUTATION_MUTANTS="$(MUTATION_SAMPLE)" \
	  MUTATION_REPORT=instance/mutation-sample.md MUTATION_MIN_KILL=90

clean:
	rm -rf $(VENV) instance mutants .pytest_cache .ruff_cache .import_linter_cache

# Chaos soak with a ledger audit (issue #13, docs/soak.md): gunicorn + two
# workers + PostgreSQL + a Redis of its own + the gateway sandboxes under a
# mixed load for SOAK_SECONDS while workers are SIGKILLed, Redis restarts empty,
# database connections are cut and gateway APIs fail or hang; then the audit.
# Drops and re-creates SOAK_DATABASE_URL (default: test_soak).
soak: $(VENV)/.dev-deps
	$(BIN)/python -m soak
