# Konto — the two commands a newcomer needs:
#   make demo   set up and start the demo on http://127.0.0.1:5000 (prints the back office's demo account)
#   make test   set up and run every test (installs Debian's chromium when missing)

PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
PIP    := $(VENV)/bin/pip
STAMP  := $(VENV)/.installed

.PHONY: demo test install install-dev browser screenshots clean bench wrk translations translations-extract translations-update translations-compile

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip

$(STAMP): $(PY) requirements.txt requirements-dev.txt
	$(PIP) install --quiet -r requirements-dev.txt
	touch $(STAMP)

install: $(STAMP)

# KONTO_DEMO=1: e-mail goes to the demo mailbox (/poczta/), links in it to http://127.0.0.1:5000.
demo: install
	KONTO_DEMO=1 $(VENV)/bin/flask --app wsgi db upgrade
	KONTO_DEMO=1 $(VENV)/bin/flask --app wsgi licences demo
	KONTO_DEMO=1 $(VENV)/bin/flask --app wsgi run --host 127.0.0.1 --port 5000

# Translations (README, "Languages"). After changing a text in the code or the templates:
# `make translations`, translate what it marks as new or fuzzy in
# konto/translations/en/LC_MESSAGES/messages.po (the Polish catalogue needs only plural forms),
# then `make translations` again. The .po and the compiled .mo files are committed;
# tests/test_translations.py fails while a message is missing, fuzzy, stale or not compiled.
BABEL := $(VENV)/bin/pybabel
POT   := konto/translations/messages.pot

translations-extract: install
	$(BABEL) -q extract -F babel.cfg -k _l -k N_ --add-location=file --no-wrap \
	  --project Konto --copyright-holder Konto -o $(POT) .

translations-update: translations-extract
	$(BABEL) -q update -i $(POT) -d konto/translations -l en --no-wrap --ignore-obsolete
	$(BABEL) -q update -i $(POT) -d konto/translations -l pl --no-wrap --ignore-obsolete --no-fuzzy-matching

translations-compile: install
	$(BABEL) -q compile -d konto/translations

translations: translations-update translations-compile
	@rm -f $(POT)

# Browser tests drive Debian's chromium (never a downloaded browser).
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium fonts-dejavu-core; }

# ruff first (ruff.toml), then the suite twice: on SQLite, then on a throw-away PostgreSQL
# cluster on 127.0.0.1 (scripts/with-postgres installs Debian's postgresql when it can, else
# skips that run).
test: install browser
	$(VENV)/bin/ruff check .
	$(VENV)/bin/pytest -q
	scripts/with-postgres $(VENV)/bin/pytest -q

# The benchmark beside a bare Flask hello (see README, "Benchmark"); writes bench/results.md.
wrk:
	@command -v wrk >/dev/null 2>&1 || { \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq wrk; }

bench: install wrk
	$(PY) -m bench

screenshots: install browser
	$(PY) scripts/screenshots.py

clean:
	rm -rf $(VENV) instance .pytest_cache
