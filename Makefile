# twin: the two commands of the README are `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DISTRICT ?= hongkou
PORT ?= 8501

# Point at the sample data pack beside the repository unless the user chose another folder.
ifeq ($(origin TWIN_DATA_DIR), undefined)
  ifneq ($(wildcard ../shared/data),)
    TWIN_DATA_DIR := $(abspath ../shared/data)
  endif
endif
export TWIN_DATA_DIR

.PHONY: install demo app test lint format bench i18n clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test,dev]'
	touch $(STAMP)

install: $(STAMP)

## Set up, prepare the five plan districts (with progress), start the viewer on :$(PORT).
demo: install
	TWIN_OFFLINE=$${TWIN_OFFLINE:-1} $(BIN)/twin prepare
	TWIN_OFFLINE=$${TWIN_OFFLINE:-1} $(BIN)/streamlit run app.py \
	  --server.port $(PORT) --server.headless true --browser.gatherUsageStats false

## Start the viewer without preparing anything first.
app: install
	$(BIN)/streamlit run app.py --server.port $(PORT) --server.headless true \
	  --browser.gatherUsageStats false

## Set up and run the whole test suite (offline).
test: install
	TWIN_OFFLINE=1 TWIN_REQUIRE_PACK=$${TWIN_REQUIRE_PACK:-1} $(BIN)/python -m pytest

## ruff, then mypy on twin/ and layers/ (installed as twin.layers: checked through a tree of links
## that places layers/ at twin/layers, as the installed package does).
lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	rm -rf build/typecheck && mkdir -p build/typecheck/twin
	for f in twin/*; do ln -s "$$PWD/$$f" build/typecheck/twin/; done
	ln -s "$$PWD/layers" build/typecheck/twin/layers
	cd build/typecheck && MYPYPATH=. ../../$(BIN)/mypy -p twin --config-file ../../pyproject.toml

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

## After marking messages with _(): refresh twin/locale/twin.pot and merge it into each language's
## catalogue (twin/locale/<lang>/LC_MESSAGES/twin.po); then translate the new empty entries.
i18n: install
	$(BIN)/python -c "from twin.i18n import update_catalogues; print(*update_catalogues(), sep='\n')"

## Benchmarks: comparisons against baselines on the same data, printed as tables.
bench: install
	$(BIN)/python -m pip install --quiet -e '.[bench]'
	TWIN_OFFLINE=1 $(BIN)/python -m benchmarks

clean:
	rm -rf data/cache .pytest_cache
