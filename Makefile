# The two commands: `make run` (the product) and `make test` (the whole suite).
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test install lint format stop messages messages-check bench bench-agenda bench-tenants bench-documents bench-odoo bench-webhooks bench-marketing clean screenshots

$(STAMP): requirements.txt requirements-dev.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(PY) scripts/stack.py run

test: $(STAMP)
	$(PY) scripts/stack.py test $(ARGS)

# The README's screenshots (docs/screenshots/*.png), taken by the browser tests.
screenshots: $(STAMP)
	SCREENSHOTS=1 $(PY) scripts/stack.py test -m browser

# Seeds a throwaway tenant and measures the CRM pages: make bench ARGS="--leads 50000 --requests 30"
bench: $(STAMP)
	$(PY) scripts/stack.py bench $(ARGS)

# Seeds a throwaway company with 20 sellers and 5,000 appointments and measures the agenda (JSON).
bench-agenda: $(STAMP)
	$(PY) scripts/stack.py bench-agenda $(ARGS)

# Creates many throwaway companies and measures creation, migrate, sizes, a page: make bench-tenants ARGS="--companies 1000"
bench-tenants: $(STAMP)
	$(PY) scripts/stack.py manage bench_tenants $(ARGS)
# Seeds a throwaway tenant with 20,000 sales documents (100,000 lines) and measures the documents pages:
# make bench-documents ARGS="--documents 20000 --lines 100000 --requests 30"
bench-documents: $(STAMP)
	$(PY) scripts/stack.py bench-documents $(ARGS)

# Meta campaigns, a year of insights per ad (synced from a fake Graph server) and attributed leads; the hub's
# speed: make bench-marketing ARGS="--campaigns 200 --ads 2000 --days 365 --leads 50000 --requests 30"
bench-marketing: $(STAMP)
	$(PY) scripts/stack.py bench-marketing $(ARGS)

# Pushes confirmed orders to a fake Odoo with Celery workers: make bench-odoo ARGS="--orders 200 --workers 2"
bench-odoo: $(STAMP)
	$(PY) scripts/stack.py bench-odoo $(ARGS)

# Signed WhatsApp deliveries to the webhook (uvicorn, or --server daphne, + a Celery worker): make bench-webhooks ARGS="--deliveries 3000 --concurrency 32"
bench-webhooks: $(STAMP)
	$(PY) scripts/stack.py bench-webhooks $(ARGS)

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: $(STAMP)
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

messages: $(STAMP)
	$(PY) manage.py makemessages -l es -l en -l fr --ignore=.venv --ignore=var --no-obsolete
	$(PY) manage.py compilemessages --ignore=.venv --ignore=var

# Lists untranslated (es, fr), fuzzy or stale entries; fails when there is any.
messages-check: $(STAMP)
	$(PY) scripts/check_translations.py

stop:
	$(PY) scripts/stack.py stop

clean: stop
	rm -rf var
