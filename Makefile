# Set-up and everyday commands. `make binder` and `make test` work on a fresh Debian machine.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
APT_PACKAGES := libreoffice-writer-nogui fonts-crosextra-carlito fonts-crosextra-caladea fonts-liberation2 poppler-utils chromium chromium-driver
AS_OF  ?= 2026-02-01

.PHONY: binder test install system-deps templates bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

# LibreOffice, metric-compatible fonts and (for the web app's browser tests) chromium from Debian, only when
# missing (needs root or sudo).
system-deps:
	@if command -v soffice >/dev/null 2>&1 && fc-list | grep -qi carlito && command -v pdftoppm >/dev/null 2>&1 \
		&& command -v chromium >/dev/null 2>&1 && command -v chromedriver >/dev/null 2>&1; then \
		echo "LibreOffice, fonts and chromium already installed"; \
	else \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends $(APT_PACKAGES); \
	fi

# Rebuild the Word templates from their plain-text sources in templates_src/.
templates: $(STAMP)
	$(PY) -m secor_docs.authoring templates_src templates

binder: $(STAMP) system-deps
	$(VENV)/bin/secor-docs build company_profiles/ --out build --as-of $(AS_OF)

test: $(STAMP) system-deps
	$(PY) -m pytest -q

bench: $(STAMP) system-deps
	$(PY) bench/run.py $(BENCH_ARGS)

clean:
	rm -rf build .pytest_cache
