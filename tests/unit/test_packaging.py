"""Packaging: pyproject.toml declares every package the app imports, requirements.txt pins them."""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from importlib.metadata import packages_distributions
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]
APP_CODE = [PROJECT_ROOT / "app.py", *(PROJECT_ROOT / "src").rglob("*.py"),
            *(PROJECT_ROOT / "views").rglob("*.py")]


def normalize(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def requirement_name(spec: str) -> str:
    return normalize(re.split(r"[<>=!~\[; ]", spec, maxsplit=1)[0])


def imported_modules(paths: list[Path]) -> set[str]:
    """Top-level modules imported anywhere in ``paths`` (inside functions too), not stdlib."""
    found: set[str] = set()
    for path in paths:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                found.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                found.add(node.module.split(".")[0])
    return found - set(sys.stdlib_module_names) - {"__future__", "response_atlas"}


def pyproject() -> dict:
    return tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]


def test_pyproject_declares_every_direct_import():
    project = pyproject()
    runtime = {requirement_name(d) for d in project["dependencies"]}
    extras = {requirement_name(d) for group in project["optional-dependencies"].values()
              for d in group}
    dists = packages_distributions()
    undeclared = []
    for module in sorted(imported_modules(APP_CODE)):
        names = {normalize(d) for d in dists.get(module, [module])}
        # playwright: only the load benchmark imports it (the dev extra)
        allowed = runtime | extras if module == "playwright" else runtime
        if not names & allowed:
            undeclared.append(f"{module} (from {', '.join(sorted(names))})")
    assert not undeclared, f"imported but not in pyproject dependencies: {undeclared}"
    assert {"pydantic", "jinja2"} <= runtime


def test_requirements_pin_exactly_the_declared_runtime():
    pinned = {requirement_name(line) for line in
              (PROJECT_ROOT / "requirements.txt").read_text().splitlines()
              if "==" in line and not line.startswith("#")}
    assert pinned == {requirement_name(d) for d in pyproject()["dependencies"]}
