"""The floor plan, checked on the source: which package may import which.

kernel (app.kernel) <- audit log (app.audit) <- registry (app.registry) <- document register (app.documents) <- surveys, complaints
(siblings) <- stats.web;
the composition (app/__init__.py, app.composition, app.cli, app.demo, app.site) sits on top.
"""
import ast
import os
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DOMAINS = ("app.audit", "app.registry", "app.documents", "surveys", "complaints", "stats")
COMPOSITION = ("app.composition", "app.cli", "app.demo", "app.site")


def _modules(package_dir):
    for folder, _dirs, files in os.walk(os.path.join(ROOT, package_dir)):
        for name in files:
            if name.endswith(".py"):
                yield os.path.join(folder, name)


def _imports(path):
    """Every module a file imports, at any depth (late imports inside functions count too)."""
    with open(path, encoding="utf-8") as fh:
        tree = ast.parse(fh.read(), path)
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            yield node.module
            yield from (f"{node.module}.{alias.name}" for alias in node.names)


def _offenders(package_dir, forbidden):
    found = []
    for path in _modules(package_dir):
        for module in _imports(path):
            if module == "app" or any(module == f or module.startswith(f + ".") for f in forbidden):
                found.append((os.path.relpath(path, ROOT), module))
    return sorted(set(found))


def test_the_kernel_imports_no_domain_and_not_the_composition():
    assert _offenders("app/kernel", DOMAINS + COMPOSITION) == []


def test_the_audit_log_knows_only_the_kernel():
    """Every domain records through app.audit, so it may import none of them."""
    assert _offenders("app/audit", DOMAINS[1:] + COMPOSITION) == []


def test_the_registry_imports_no_other_domain():
    assert _offenders("app/registry", ("surveys", "complaints", "stats") + COMPOSITION) == []


def test_the_document_register_knows_only_the_kernel_and_the_registry():
    assert _offenders("app/documents", ("surveys", "complaints", "stats") + COMPOSITION) == []


@pytest.mark.parametrize("package, sibling", [("surveys", "complaints"), ("complaints", "surveys")])
def test_surveys_and_complaints_are_siblings(package, sibling):
    assert _offenders(package, (sibling, "stats") + COMPOSITION) == []


def test_stats_web_reaches_complaints_only_through_signals():
    assert _offenders("stats/web", ("complaints",) + COMPOSITION) == []


def test_the_checker_sees_a_forbidden_import(tmp_path, monkeypatch):
    """The rule can fail: a late import inside a function is caught."""
    package = tmp_path / "pkg"
    package.mkdir()
    (package / "mod.py").write_text("def f():\n    from complaints.operations import create_case\n")
    monkeypatch.setattr(sys.modules[__name__], "ROOT", str(tmp_path))
    assert _offenders("pkg", ("complaints",)) == [("pkg/mod.py", "complaints.operations"),
                                                  ("pkg/mod.py", "complaints.operations.create_case")]
