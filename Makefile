# The two commands of the README. Both build .venv with the machine's Python 3.11 first.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test install lint clean guide

$(STAMP): pyproject.toml
	@command -v $(PYTHON) >/dev/null || { echo "$(PYTHON) not found: set PYTHON=/path/to/python3.11"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

## make run: set up the embedded default (SQLite, eager tasks, console email), say whether screenshots are
## read (Tesseract), load demo data, serve on :8000
run: $(STAMP)
	DEBUG=1 $(BIN)/python manage.py migrate --noinput
	DEBUG=1 $(BIN)/python manage.py screenshot_reader
	DEBUG=1 $(BIN)/python manage.py seed_demo
	DEBUG=1 $(BIN)/python manage.py runserver 127.0.0.1:8000

## make test: the whole suite (DATABASE_URL and CELERY_BROKER_URL from the environment, else SQLite and eager)
test: $(STAMP)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

## make guide: retake the portal guide's pictures and tutorial video (static/guide/) from the real pages,
## in headless Chromium (apt-get install chromium ffmpeg)
guide: $(STAMP)
	GUIDE_DIR=static/guide $(BIN)/python -m pytest tests/browser/test_guide.py -q
	$(BIN)/python -m tests.browser.guide_video static/guide

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

clean:
	rm -rf $(VENV) db.sqlite3 staticfiles .pytest_cache
