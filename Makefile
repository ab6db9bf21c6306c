# assettrack — two commands on a fresh machine: `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PORT ?= 5000
MO := assettrack/translations/fr/LC_MESSAGES/messages.mo
PO := assettrack/translations/fr/LC_MESSAGES/messages.po
FTM_MO := assettrack/translations/fr/LC_MESSAGES/ftm.mo
FTM_PO := assettrack/translations/fr/LC_MESSAGES/ftm.po
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: run test setup migrate seed lint bench system-deps runtime-deps translations extract-messages clean

run: runtime-deps migrate seed
	@echo "assettrack on http://127.0.0.1:$(PORT)  (Ctrl-C stops the web server and the job worker)"
	@# The job worker runs under its supervisor, which starts it again whenever it dies.
	@$(BIN)/assettrack jobs worker --supervise & worker=$$!; \
	trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
	$(BIN)/gunicorn --workers 2 --threads 4 --bind 127.0.0.1:$(PORT) \
		--access-logfile - --forwarded-allow-ips 127.0.0.1 wsgi:app

test: setup runtime-deps system-deps test-js-deps
	$(BIN)/ruff check .
	$(BIN)/python -m pytest -q

setup: $(STAMP) $(MO) $(FTM_MO)

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	@# PyICU (pulled in by rigour and followthemoney) compiles against ICU: install its headers.
	@if ! pkg-config --exists icu-i18n 2>/dev/null || ! command -v g++ >/dev/null 2>&1; then \
		echo "installing libicu-dev, pkg-config, g++ (to build PyICU)"; \
		$(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq \
			libicu-dev pkg-config g++ >/dev/null; \
	fi
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

$(MO): $(PO) | $(STAMP)
	$(BIN)/pybabel compile --use-fuzzy -d assettrack/translations -D messages

# FollowTheMoney's labels: the project's own words (domain ftm), over followthemoney's catalogue.
$(FTM_MO): $(FTM_PO) | $(STAMP)
	$(BIN)/pybabel compile -d assettrack/translations -D ftm

translations: $(MO) $(FTM_MO)

extract-messages: $(STAMP)
	$(BIN)/pybabel extract -F babel.cfg -k Msg -k _l -k lazy_gettext -o assettrack/translations/messages.pot .
	$(BIN)/pybabel update -i assettrack/translations/messages.pot -d assettrack/translations --no-fuzzy-matching
	$(BIN)/python -c "from assettrack.i18n import write_ftm_template as w; w('assettrack/translations/ftm.pot')"
	$(BIN)/pybabel update -D ftm -i assettrack/translations/ftm.pot -d assettrack/translations --no-fuzzy-matching

migrate: setup
	$(BIN)/assettrack db upgrade

seed: migrate
	$(BIN)/assettrack demo seed

# What rendering reports needs from Debian: HarfBuzz's subsetter (without it WeasyPrint subsets
# fonts with fontTools, about 55 % of every render) and the Noto fonts. Installed only when missing.
runtime-deps:
	@if ! ldconfig -p | grep -q 'libharfbuzz-subset\.so\.0' || ! fc-list 2>/dev/null | grep -q NotoSans-Regular; then \
		echo "installing libharfbuzz-subset0, fonts-noto-core"; \
		$(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq \
			libharfbuzz-subset0 fonts-noto-core fontconfig >/dev/null; \
	fi

# What the browser tests and PDF checks need from Debian: Chromium, poppler's pdftoppm/pdftotext
# and the Noto fonts. Installed only when missing.
system-deps:
	@if ! command -v chromium >/dev/null 2>&1 || ! command -v pdftoppm >/dev/null 2>&1; then \
		echo "installing chromium, chromium-driver, poppler-utils, fonts-noto-core"; \
		$(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq \
			chromium chromium-driver poppler-utils fonts-noto-core >/dev/null; \
	fi

# What the browser tests inject into pages (axe-core, the accessibility checker): npm packages
# pinned in package-lock.json, installed with `npm ci` when missing. Nothing here is served.
.PHONY: test-js-deps
test-js-deps:
	@if [ ! -d node_modules/axe-core ]; then npm ci --no-audit --no-fund; fi

lint: setup
	$(BIN)/ruff check .

bench: setup
	@for script in benchmarks/bench_*.py; do [ -e "$$script" ] || continue; \
		echo "== $$script"; $(BIN)/python $$script || exit 1; done

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
