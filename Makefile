# Two commands for a newcomer: `make serve` and `make test`. Each installs what it needs.
SHELL := /bin/bash
VENV := .venv
# Python 3.13 is required by the tests (mongoeco); pyenv installs may not be on PATH.
PYTHON313 := $(shell command -v python3.13 >/dev/null 2>&1 && python3.13 -c 'import sys' >/dev/null 2>&1 && command -v python3.13 || ls -d $$HOME/.pyenv/versions/3.13*/bin/python3.13 /usr/local/bin/python3.13 /usr/bin/python3.13 2>/dev/null | tail -n 1)
PYTHON := $(or $(PYTHON313),$(shell command -v python3))
PIP_QUIET := --quiet --disable-pip-version-check

.PHONY: serve test lint bench clean deps-apt wheel

$(VENV)/bin/python:
	@test -n "$(PYTHON)" || { echo "No python3 found: install Python 3.13 (or >= 3.11 for serving)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install $(PIP_QUIET) --upgrade pip

$(VENV)/.installed: pyproject.toml | $(VENV)/bin/python
	$(VENV)/bin/pip install $(PIP_QUIET) -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(VENV)/bin/python
	@$(VENV)/bin/python -c 'import sys; sys.exit(sys.version_info < (3, 13))' || { \
	  echo "The test suite needs Python >= 3.13 (mongoeco); found $$($(VENV)/bin/python -V)."; \
	  echo "Install python3.13, remove .venv and run make test again."; exit 1; }
	$(VENV)/bin/pip install $(PIP_QUIET) -e '.[test]'
	touch $(VENV)/.installed $@

# A local token so a newcomer can call the API at once; production sets its own tokens.
serve: $(VENV)/.installed
	@echo "API token for this server: $${DMZPUB_PUSH_TOKENS:-dev-token}  (try: curl -H 'Authorization: Bearer $${DMZPUB_PUSH_TOKENS:-dev-token}' http://127.0.0.1:8080/api/v1/published/10.99999/dmzpub-demo-0001)"
	DMZPUB_PUSH_TOKENS="$${DMZPUB_PUSH_TOKENS:-dev-token}" $(VENV)/bin/dmzpub serve --demo

# Debian packages the tests drive for real (binary=package); installed only when missing.
# Wait for another apt run (a second checkout installing at the same time) instead of failing.
APT_LOCK := -o DPkg::Lock::Timeout=900
APT_DEPS := /usr/bin/sqlite3=sqlite3 /usr/sbin/nginx=nginx /usr/sbin/sshd=openssh-server /usr/bin/openssl=openssl /usr/bin/ssh-keygen=openssh-client /usr/bin/curl=curl /usr/lib/rabbitmq/bin/rabbitmq-server=rabbitmq-server /usr/bin/systemd-analyze=systemd /usr/bin/podman=podman /usr/bin/mmdebstrap=mmdebstrap

deps-apt:
	@test -x /usr/bin/chromium || { apt-get $(APT_LOCK) update -q && DEBIAN_FRONTEND=noninteractive apt-get $(APT_LOCK) install -y -q chromium; }
	@missing=""; for pair in $(APT_DEPS); do test -x "$${pair%%=*}" || missing="$$missing $${pair#*=}"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages:$$missing"; \
	  apt-get $(APT_LOCK) update -qq && DEBIAN_FRONTEND=noninteractive apt-get $(APT_LOCK) install -y -qq --no-install-recommends $$missing; \
	fi

# The wheel as an operator installs it, in a venv of its own: tests/test_wheel_install.py runs that copy,
# never the editable one (templates missing from a wheel once served 500 on every page).
WHEEL_VENV := .venv-wheel
wheel: $(VENV)/.installed-test
	rm -rf dist build
	$(VENV)/bin/pip wheel $(PIP_QUIET) --no-deps -w dist .
	rm -rf build
	test -x $(WHEEL_VENV)/bin/python || $(PYTHON) -m venv $(WHEEL_VENV)
	$(WHEEL_VENV)/bin/pip install $(PIP_QUIET) dist/dmzpub-*.whl
	$(WHEEL_VENV)/bin/pip install $(PIP_QUIET) --force-reinstall --no-deps dist/dmzpub-*.whl

test: $(VENV)/.installed-test deps-apt wheel
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports
	$(VENV)/bin/python -m pytest $(PYTEST_ARGS)

lint: $(VENV)/.installed-test
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

bench: deps-apt $(VENV)/.installed-test
	$(VENV)/bin/python bench/push.py
	$(VENV)/bin/python bench/landing.py
	$(VENV)/bin/python bench/index_search.py
	$(VENV)/bin/python bench/sync.py
	$(VENV)/bin/python bench/harvest.py
	$(VENV)/bin/python bench/stage.py
	$(VENV)/bin/python bench/download.py

clean:
	rm -rf $(VENV) $(WHEEL_VENV) dist build var .pytest_cache .ruff_cache *.egg-info
