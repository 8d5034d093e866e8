# Konto — the two commands a newcomer needs:
#   make demo   set up and start the demo on http://127.0.0.1:5000
#   make test   set up and run every test (installs Debian's chromium when missing)

PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
PIP    := $(VENV)/bin/pip
STAMP  := $(VENV)/.installed

.PHONY: demo test install install-dev browser screenshots clean

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip

$(STAMP): $(PY) requirements.txt requirements-dev.txt
	$(PIP) install --quiet -r requirements-dev.txt
	touch $(STAMP)

install: $(STAMP)

demo: install
	$(VENV)/bin/flask --app wsgi init-db
	$(VENV)/bin/flask --app wsgi run --host 127.0.0.1 --port 5000

# Browser tests drive Debian's chromium (never a downloaded browser).
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium fonts-dejavu-core; }

test: install browser
	$(VENV)/bin/pytest -q

screenshots: install browser
	$(PY) scripts/screenshots.py

clean:
	rm -rf $(VENV) instance .pytest_cache
