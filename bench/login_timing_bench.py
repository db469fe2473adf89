"""Sign-in timing: a known name with a wrong password, an unknown name and a deactivated name, with the
production password hash (scrypt). They should take the same time (issue 8, failure 2: 101 ms vs 3 ms).

Runs the app in-process on a scratch SQLite database with the sign-in limits lifted in a scratch scheme.

    .venv/bin/python bench/login_timing_bench.py [--rounds 20]
"""
import argparse
import os
import re
import statistics
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from app import create_app  # noqa: E402
from app.kernel.extensions import db  # noqa: E402
from app.registry.models import User  # noqa: E402


def scratch_scheme(folder):
    with open(os.path.join(ROOT, "app", "schemes", "default.toml"), encoding="utf-8") as fh:
        text = re.sub(r'(?m)^(login_failures_\w+) = "\d+ per', r'\1 = "1000000 per', fh.read())
    path = os.path.join(folder, "bench.toml")
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(text)
    return path


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()
    folder = tempfile.mkdtemp()
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder}/bench.sqlite3", "SECRET_KEY": "bench",
                      "WTF_CSRF_ENABLED": False, "SCHEME": scratch_scheme(folder)})
    with app.app_context():
        db.create_all()
        for name, active in (("known", True), ("gone", False)):
            user = User(username=name, role="handler", active=active)
            user.set_password("the-right-password")
            db.session.add(user)
        db.session.commit()
    client = app.test_client()
    for name, password in (("known", "wrong"), ("nobody", "wrong"), ("gone", "the-right-password")):
        times = []
        for _ in range(args.rounds):
            start = time.perf_counter()
            status = client.post("/auth/login", data={"username": name, "password": password}).status_code
            times.append((time.perf_counter() - start) * 1000)
            assert status == 401, status
        print(f"{name:8s} median {statistics.median(times):6.1f} ms  min {min(times):6.1f} ms  "
              f"max {max(times):6.1f} ms  ({args.rounds} sign-ins, {app.config['PASSWORD_HASH_METHOD']})")


if __name__ == "__main__":
    main()
