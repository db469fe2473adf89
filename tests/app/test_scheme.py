"""The scheme is read one way: app code asks current_scheme(); only app/kernel/scheme.py opens the file."""
import ast
import os
from pathlib import Path

import pytest

from app.kernel.scheme import SchemeError, current_scheme, current_scheme_file, scheme_path

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
APP_CODE = ("app", "surveys", "complaints", "stats")
ALLOWED = {os.path.join("app", "kernel", "scheme.py"), os.path.join("app", "kernel", "config.py")}  # reader, default
# Ways around current_scheme(): parsing TOML, the file loaders, the config key naming the scheme.
BYPASSES = {"tomllib", "load_scheme", "read_scheme_file", "SCHEME"}


def _bypasses(path):
    with open(path, encoding="utf-8") as fh:
        tree = ast.parse(fh.read(), path)
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names if alias.name in BYPASSES)
        elif isinstance(node, ast.ImportFrom):
            yield from (alias.name for alias in node.names if alias.name in BYPASSES)
        elif isinstance(node, ast.Constant) and node.value in BYPASSES:
            yield node.value


def test_no_app_code_reads_the_scheme_around_current_scheme():
    found = []
    for package in APP_CODE:
        for folder, _dirs, files in os.walk(os.path.join(ROOT, package)):
            for name in files:
                path = os.path.join(folder, name)
                if name.endswith(".py") and os.path.relpath(path, ROOT) not in ALLOWED:
                    found += [(os.path.relpath(path, ROOT), what) for what in _bypasses(path)]
    assert found == []


def test_current_scheme_is_the_configured_one_read_once(app, monkeypatch, tmp_path):
    text = Path(scheme_path("default")).read_text(encoding="utf-8").replace('name = "default"', 'name = "pilot"')
    pilot = tmp_path / "pilot.toml"
    pilot.write_text(text, encoding="utf-8")
    monkeypatch.setitem(app.config, "SCHEME", str(pilot))
    with app.app_context():
        first = current_scheme()
        pilot.write_text(text.replace('name = "pilot"', 'name = "edited"'), encoding="utf-8")
        assert first["name"] == "pilot" and current_scheme() is first  # one reading per request or command
        assert current_scheme_file().text == text
    with app.app_context():
        assert current_scheme()["name"] == "edited"  # the next request reads the edit


def test_an_explicit_scheme_is_read_from_its_file(app, tmp_path):
    text = Path(scheme_path("default")).read_text(encoding="utf-8").replace('name = "default"', 'name = "other"')
    other = tmp_path / "other.toml"
    other.write_text(text, encoding="utf-8")
    with app.app_context():
        assert current_scheme()["name"] == "default"
        assert current_scheme(str(other))["name"] == "other"
        assert current_scheme_file(str(other)).text == text
        assert current_scheme()["name"] == "default"


@pytest.mark.parametrize("missing", ["nowhere", "/tmp/nowhere-at-all.toml"])
def test_a_missing_scheme_is_refused_in_chinese(app, missing):
    with app.app_context(), pytest.raises(SchemeError, match="找不到考核方案"):
        current_scheme(missing)
