"""The shape of the code: one-way imports, no cycles, no private names across modules, a
package name of our own, a quick command line and one error tree."""

import ast
import os
import subprocess
import sys
from pathlib import Path

import pytest

import twin
from twin import _errors
from twin.norms import PROJECT_ROOT

SOURCES = {path: path for path in (PROJECT_ROOT / "twin").rglob("*.py")} | {
    path: path for path in (PROJECT_ROOT / "layers").rglob("*.py")
}


def module_name(path: Path) -> str:
    rel = path.relative_to(PROJECT_ROOT).with_suffix("")
    parts = list(rel.parts)
    if parts[0] == "layers":
        parts = ["twin", *parts]
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


MODULES = {module_name(p): p for p in SOURCES}


def imports_of(path: Path, top_level_only: bool = True) -> list[tuple[str, list[str]]]:
    """(module, names) imported by ``path``; module-level statements only by default."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    nodes = tree.body if top_level_only else list(ast.walk(tree))
    found = []
    for node in nodes:
        if isinstance(node, ast.If):  # TYPE_CHECKING blocks do not run
            continue
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.module, [a.name for a in node.names]))
        elif isinstance(node, ast.Import):
            found.extend((a.name, []) for a in node.names)
    return found


def internal_graph() -> dict[str, set[str]]:
    """Who imports whom inside twin, lazy (function-level) imports included."""
    graph: dict[str, set[str]] = {}
    for name, path in MODULES.items():
        targets = set()
        for module, names in imports_of(path, top_level_only=False):
            if module in MODULES:
                targets.add(module)
            for n in names:  # "from twin import layers" imports a module
                if f"{module}.{n}" in MODULES:
                    targets.add(f"{module}.{n}")
        graph[name] = targets - {name}
    return graph


def test_there_is_no_import_cycle_inside_twin():
    graph = internal_graph()
    state: dict[str, int] = {}

    def visit(node: str, trail: list[str]) -> None:
        state[node] = 1
        for nxt in graph[node]:
            if nxt.startswith(f"{node}."):  # a package importing its own submodules
                continue
            if state.get(nxt) == 1:
                pytest.fail("import cycle: " + " → ".join([*trail, node, nxt]))
            if nxt not in state:
                visit(nxt, [*trail, node])
        state[node] = 2

    for node in graph:
        if node not in state:
            visit(node, [])


def test_flow_is_one_way():
    """sources never import the model, layers or analysis; nothing in twin imports streamlit."""
    for name, path in MODULES.items():
        every = [m for m, _ in imports_of(path, top_level_only=False)]
        assert not any(m.startswith("streamlit") for m in every), name
        if name.startswith("twin.sources"):
            bad = [m for m in every if m.startswith(("twin.model", "twin.layers", "twin.analysis",
                                                      "twin.store", "twin.render"))
                   and m != "twin.store.atomic"]  # fmt: skip
            assert not bad, f"{name} imports {bad}"
        if name.startswith("twin.store"):  # the store sits below the analysis and the views
            bad = [m for m in every if m.startswith(("twin.analysis", "twin.render", "twin.cli",
                                                      "twin.api", "twin.batch"))]  # fmt: skip
            assert not bad, f"{name} imports {bad}"
        if name.startswith("twin.analysis") or name.startswith("twin.layers"):
            assert not any(m.startswith("twin.render") for m in every), name


def test_no_module_imports_a_private_name_of_another():
    for name, path in MODULES.items():
        for module, names in imports_of(path, top_level_only=False):
            if not module.startswith("twin"):
                continue
            private_module = any(p.startswith("_") for p in module.split(".")) and module not in {
                "twin._errors"
            }
            assert not private_module, f"{name} imports the private module {module}"
            private = [n for n in names if n.startswith("_") and n != "_"]  # _: gettext's name
            assert not private, f"{name}: {module} {names}"


def test_layers_is_installed_as_twin_layers_only(tmp_path):
    probe = "import importlib.util as u; print(u.find_spec('layers') is None, u.find_spec('twin.layers') is not None)"
    out = subprocess.run([sys.executable, "-c", probe], cwd=tmp_path, capture_output=True, text=True, check=True)  # fmt: skip
    assert out.stdout.split() == ["True", "True"]


def test_the_command_line_starts_without_the_heavy_libraries(tmp_path):
    probe = (
        "import sys, contextlib, io\n"
        "from twin.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    main(['districts'])\n"
        "heavy = [m for m in ('geopandas', 'osmnx', 'scipy', 'pandas', 'shapely') if m in sys.modules]\n"
        "print(heavy)\n"
    )
    out = subprocess.run([sys.executable, "-c", probe], cwd=tmp_path, capture_output=True, text=True, check=True)  # fmt: skip
    assert out.stdout.strip() == "[]"


def test_import_twin_is_light_and_the_api_is_complete():
    probe = "import sys, twin; print('geopandas' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
    for name in ("load_district", "build", "generate_layer", "import_inventory",
                 "recommend_sites", "export", "scenario", "Scenario", "format_report"):  # fmt: skip
        assert callable(getattr(twin, name)), name
        assert getattr(twin, name).__doc__, f"twin.{name} has no docstring"


def test_one_error_tree():
    errors = [v for v in vars(_errors).values() if isinstance(v, type) and issubclass(v, Exception)]
    for cls in errors:
        assert issubclass(cls, (_errors.TwinError, _errors.TwinWarning)), cls
    from twin.datum import DatumShiftWarning

    assert issubclass(DatumShiftWarning, _errors.TwinWarning)


def test_no_assert_and_no_bare_builtin_errors_in_the_library():
    for name, path in MODULES.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            assert not isinstance(node, ast.Assert), f"{name}:{node.lineno} uses assert"
            if isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call):
                func = node.exc.func
                called = func.id if isinstance(func, ast.Name) else ""
                assert called not in {"ValueError", "KeyError", "TypeError"}, (
                    f"{name}:{node.lineno} raises a bare {called}; use a TwinError"
                )


# The edges resolve the run configuration (twin.settings.Settings) once; everything below them
# receives it, or the norms and params derived from it, as an argument.
EDGES = {"twin.settings", "twin.cli", "twin.api", "twin.batch"}


def environment_reads(tree: ast.AST) -> list[str]:
    """``os.environ``/``os.getenv``, ``Settings.from_env()`` and ``default_norms`` in a module."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
            if node.value.id == "os" and node.attr in {"environ", "getenv", "putenv"}:
                found.append(f"os.{node.attr}")
            if node.value.id == "Settings" and node.attr == "from_env":
                found.append("Settings.from_env")
        if isinstance(node, ast.Name) and node.id == "default_norms":
            found.append("default_norms")
        if isinstance(node, ast.ImportFrom) and any(a.name == "environ" for a in node.names):
            found.append("from os import environ")
    return found


def test_nothing_below_the_edge_reads_the_environment_or_a_global_default():
    for name, path in MODULES.items():
        if name in EDGES:
            continue
        found = environment_reads(ast.parse(path.read_text(encoding="utf-8")))
        assert not found, f"{name} reads {found}: take a Settings (or its norms) as an argument"


def test_the_viewer_reads_its_settings_in_one_place():
    pages = [*(PROJECT_ROOT / "app_pages").glob("*.py"), PROJECT_ROOT / "app.py"]
    for path in pages:
        found = environment_reads(ast.parse(path.read_text(encoding="utf-8")))
        allowed = ["Settings.from_env"] if path.name == "_cached.py" else []
        assert found == allowed * len(found) and len(found) <= 1, (path.name, found)


def test_the_environment_check_catches_what_it_forbids():
    bad = ast.parse(
        "import os\nx = os.environ.get('A')\ny = Settings.from_env()\nz = default_norms()"
    )
    assert sorted(environment_reads(bad)) == ["Settings.from_env", "default_norms", "os.environ"]


def test_one_store_package_holds_everything_kept_on_disk():
    """Atomic writes and the stores live in twin.store; nothing else writes atomically."""
    store = {n for n in MODULES if n.startswith("twin.store.")}
    assert {
        "twin.store.atomic",
        "twin.store.digest",
        "twin.store.district",
        "twin.store.layers",
        "twin.store.inventories",
        "twin.store.coverage",
        "twin.store.measurements",
    } <= store
    for name, path in MODULES.items():
        if name.startswith("twin.store"):
            continue
        defined = {node.name for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
                   if isinstance(node, ast.FunctionDef)}  # fmt: skip
        assert not defined & {"atomic_write", "save_coverage", "load_coverage", "save_imported",
                              "save_measurements", "save_calibration"}, name  # fmt: skip
    names = [n.rsplit(".", 1)[-1] for n in MODULES]
    assert names.count("inventory") <= 1, "two modules are called inventory"


def test_a_warm_report_needs_neither_geopandas_nor_scipy_spatial(settings, monkeypatch, capsys):
    """The same bytes as the build's report, from the store, with the light libraries only."""
    from twin.cli import main

    env = {"TWIN_DATA_DIR": str(settings.data_dir), "TWIN_CACHE_DIR": str(settings.cache_dir),
           "TWIN_OFFLINE": "1"}  # fmt: skip
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    assert main(["report", "hongkou", "--json"]) == 0
    built = capsys.readouterr().out
    probe = (
        "import sys\n"
        "from twin.cli import main\n"
        "main(['report', 'hongkou', '--json'])\n"
        "heavy = [m for m in ('geopandas', 'scipy.spatial', 'shapely', 'pandas') if m in sys.modules]\n"
        "print(heavy, file=sys.stderr)\n"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                         check=True, env=os.environ | env)  # fmt: skip
    assert out.stdout == built
    assert "report: from the store" in out.stderr and out.stderr.strip().endswith("[]")
