"""./manage.sh: `flask …` runs the app's commands from the project's environment; `test` runs the
PostgreSQL pass even after the SQLite pass failed, reports both, and fails if either failed."""
import os
import pathlib
import subprocess

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent

# Fails on SQLite only (TEST_DATABASE_URL unset), passes in the PostgreSQL pass.
SQLITE_ONLY_FAILURE = """import os


def test_needs_postgres():
    assert os.environ.get("TEST_DATABASE_URL")


def test_anywhere():
    assert os.sep
"""


def _manage(*args, **env):
    return subprocess.run(["./manage.sh", *args], cwd=ROOT, capture_output=True, text=True, timeout=300,
                          env={**os.environ, **env})


@pytest.fixture
def sample(tmp_path):
    path = tmp_path / "test_sample.py"
    path.write_text(SQLITE_ONLY_FAILURE, encoding="utf-8")
    return str(path)


def test_both_passes_run_and_a_failure_in_either_fails_the_run(sample):
    result = _manage("test", sample, "-q", "-p", "no:cacheprovider", "--rootdir", str(pathlib.Path(sample).parent),
                     TEST_DATABASE_URL="postgresql://127.0.0.1:5432/none")
    assert result.returncode != 0, result.stdout + result.stderr
    assert "== tests on PostgreSQL" in result.stdout and "2 passed" in result.stdout and "1 failed" in result.stdout
    assert "SQLite: FAILED (pytest exit 1); PostgreSQL: passed" in result.stdout


def test_a_run_without_postgres_says_it_was_skipped(sample):
    env = {k: v for k, v in os.environ.items() if k != "TEST_DATABASE_URL"}
    result = subprocess.run(["./manage.sh", "test", sample, "-q", "-p", "no:cacheprovider", "-k", "not needs"],
                            cwd=ROOT, capture_output=True, text=True, timeout=300, env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "PostgreSQL: skipped" in result.stdout


def test_flask_commands_run_through_manage(tmp_path):
    result = _manage("flask", "--help", XN_INSTANCE_PATH=str(tmp_path / "instance"))
    assert result.returncode == 0, result.stderr
    assert "init" in result.stdout and "cases" in result.stdout and "users" in result.stdout
