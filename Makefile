# Everyday one-liners. `make demo` and `make test` are the README's two commands.
VENV ?= .venv
PY := $(VENV)/bin/python

.PHONY: demo test install lint format messages serve check assets openapi query-baselines

$(PY):
	python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

install: $(PY)
	$(PY) -m pip install --quiet -e '.[dev]'

demo: $(PY)
	$(PY) -m pip install --quiet -e .
	$(VENV)/bin/klantpeil demo

serve: install
	$(VENV)/bin/klantpeil serve

test:
	bash scripts/test.sh

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: install
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

# Extract and compile translations (needs GNU gettext).
messages: install
	cd src/klantpeil && ../../$(VENV)/bin/django-admin makemessages -l nl --settings=klantpeil.config.test_settings
	cd src/klantpeil && ../../$(VENV)/bin/django-admin compilemessages --settings=klantpeil.config.test_settings

assets:
	npm ci --no-audit --no-fund
	bash scripts/vendor-assets.sh

# Regenerate the committed API contract (src/klantpeil/api/openapi.json) after changing a
# route, a parameter or an output schema; tests/test_openapi_contract.py checks it.
openapi: install
	$(VENV)/bin/klantpeil manage openapi

# Rewrite tests/query_baselines.json (query counts per page) on SQLite and PostgreSQL
# after adding a page or changing its queries on purpose; tests/test_query_counts.py checks it.
QUERY_BASELINES_PG ?= $(or $(KLANTPEIL_TEST_PG_URL),postgres://postgres@127.0.0.1:5432/test)
query-baselines:
	env -u DATABASE_URL $(PY) -m pytest -q tests/test_query_counts.py --update-query-baselines
	DATABASE_URL=$(QUERY_BASELINES_PG) $(PY) -m pytest -q tests/test_query_counts.py --update-query-baselines
