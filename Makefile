# The portal's everyday commands. `make run` and `make test` are the README's quick start.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app app
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: install run test test-postgres lint format clean bench

install: $(VENV)/.installed node_modules/.installed

$(VENV)/.installed: requirements.lock
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet --requirement requirements.lock
	@touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

# The web server and, beside it, the mail worker (demo e-mail lands in instance/mail as it would
# be sent); Ctrl+C stops both. Absolute links follow HOST and PORT unless PORTAL_BASE_URL is set.
run: export PORTAL_BASE_URL ?= http://$(HOST):$(PORT)
run: install
	$(FLASK) db upgrade
	$(FLASK) seed
	$(FLASK) demo
	@echo ""
	@echo "The portal is at http://$(HOST):$(PORT), with the mail worker (press Ctrl+C to stop both)"
	@echo ""
	@$(FLASK) mail send --loop & worker=$$!; \
	trap 'kill $$worker 2>/dev/null; wait $$worker' INT TERM EXIT; \
	$(FLASK) run --host $(HOST) --port $(PORT)

test: install
	$(BIN)/pytest $(PYTEST_ARGS)

# Load benchmark against a bare Flask app (wrk + gunicorn); see bench/run.py. Not part of `test`.
bench: install
	@command -v wrk >/dev/null || { [ "$$(id -u)" = 0 ] && apt-get install -y -q wrk; } || \
		{ echo "wrk is needed: sudo apt-get install wrk"; exit 1; }
	$(BIN)/python bench/run.py

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/python migrations/check_unchanged.py

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf $(VENV) node_modules .pytest_cache .ruff_cache .mypy_cache
