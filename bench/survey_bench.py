"""Survey submission throughput under gunicorn (2 workers), SQLite and PostgreSQL.

Starts the app on a scratch database, then drives concurrent clients that each
open a window's questionnaire once and submit it repeatedly (rate limit raised
in a scratch scheme file). Prints submissions/s and p50/p99 latency next to the
trivial /healthz endpoint of the same app under the same server (the ceiling).

    .venv/bin/python bench/survey_bench.py [--seconds 10] [--clients 8] [--pg postgresql://127.0.0.1/test]
"""
import argparse
import http.client
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
VENV_BIN = os.path.join(ROOT, ".venv", "bin")


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def scratch_scheme(folder):
    """The default scheme with a rate limit no benchmark client reaches."""
    with open(os.path.join(ROOT, "app", "schemes", "default.toml"), encoding="utf-8") as fh:
        text = fh.read()
    text = re.sub(r"(nonfixed|address)_rate_limit = \d+", r"\1_rate_limit = 1000000", text)
    text = re.sub(r'(?m)^(\w+) = "\d+ per ([^"]+)"', r'\1 = "1000000 per \2"', text)  # the shared limiter's
    path = os.path.join(folder, "bench.toml")
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(text)
    return path


def start_server(database_url, folder):
    env = {**os.environ, "XN_INSTANCE_PATH": os.path.join(folder, "instance"), "XN_SCHEME": scratch_scheme(folder)}
    env.pop("DATABASE_URL", None)
    if database_url:
        env["DATABASE_URL"] = database_url
    subprocess.run([os.path.join(VENV_BIN, "flask"), "--app", "wsgi", "init"], cwd=ROOT, env=env, check=True,
                   stdout=subprocess.DEVNULL)
    port = free_port()
    server = subprocess.Popen([os.path.join(VENV_BIN, "gunicorn"), "-w", "2", "-b", f"127.0.0.1:{port}",
                               "--log-level", "warning", "wsgi:app"], cwd=ROOT, env=env, start_new_session=True)
    deadline = time.time() + 30
    while time.time() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return server, port
        except OSError:
            time.sleep(0.1)
    server.kill()
    raise RuntimeError("gunicorn did not start")


class Client:
    """One keep-alive connection with its own session cookie."""

    def __init__(self, port):
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        self.cookie = ""

    def request(self, method, path, body=None):
        headers = {"Cookie": self.cookie} if self.cookie else {}
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        self.conn.request(method, path, body=body, headers=headers)
        response = self.conn.getresponse()
        data = response.read()
        cookie = response.getheader("Set-Cookie")
        if cookie:
            self.cookie = cookie.split(";", 1)[0]
        return response.status, data.decode("utf-8", "replace")


def survey_body(html):
    fields = dict(re.findall(r'name="(csrf_token|ticket)" type="hidden" value="([^"]*)"', html))
    fields.update({name: "5" for name in set(re.findall(r'name="(item_\d+)"', html))})
    return urllib.parse.urlencode(fields)


def drive(port, seconds, clients, kind):
    latencies, errors = [], []
    lock = threading.Lock()
    stop_at = time.perf_counter() + seconds

    def worker(n):
        client, window = Client(port), f"/s/A{(n % 4) + 1}{(n % 9) + 1:02d}-W1"
        body = survey_body(client.request("GET", window)[1]) if kind == "survey" else None
        mine = []
        while time.perf_counter() < stop_at:
            began = time.perf_counter()
            status, _ = client.request("POST", window, body) if body else client.request("GET", "/healthz")
            mine.append(time.perf_counter() - began)
            if status not in (200, 302):
                errors.append(status)
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    latencies.sort()
    return {
        "requests": len(latencies), "per_s": len(latencies) / seconds, "errors": len(errors),
        "p50_ms": 1000 * statistics.median(latencies),
        "p99_ms": 1000 * latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))],
    }


BENCH_SCHEMA = "xn_bench"


def postgres_schema(url, action):
    """Create or drop the benchmark's own schema, leaving the rest of the database alone."""
    sql = {"create": f"DROP SCHEMA IF EXISTS {BENCH_SCHEMA} CASCADE; CREATE SCHEMA {BENCH_SCHEMA}",
           "drop": f"DROP SCHEMA IF EXISTS {BENCH_SCHEMA} CASCADE"}[action]
    subprocess.run(["psql", "-q", "-d", url, "-c", f"SET client_min_messages = warning; {sql}"], check=True)


def with_search_path(url):
    joiner = "&" if "?" in url else "?"
    return f"{url}{joiner}options=-csearch_path%3D{BENCH_SCHEMA}"


def run(label, database_url, args):
    folder = tempfile.mkdtemp(prefix="xn-bench-")
    if database_url:
        postgres_schema(database_url, "create")
    server, port = start_server(with_search_path(database_url) if database_url else None, folder)
    try:
        for kind in ("healthz", "survey"):
            result = drive(port, args.seconds, args.clients, kind)
            print(f"{label:10} {kind:8} {result['per_s']:8.1f} req/s  p50 {result['p50_ms']:7.1f} ms  "
                  f"p99 {result['p99_ms']:7.1f} ms  ({result['requests']} requests, {result['errors']} errors)")
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=10)
        shutil.rmtree(folder, ignore_errors=True)
        if database_url:
            postgres_schema(database_url, "drop")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--pg", default=os.environ.get("BENCH_DATABASE_URL", "postgresql://127.0.0.1:5432/test"),
                        help="PostgreSQL URL (uses a scratch schema); '' to skip")
    args = parser.parse_args()
    print(f"gunicorn -w 2, {args.clients} concurrent keep-alive clients, {args.seconds:.0f} s per row")
    run("sqlite", None, args)
    if args.pg:
        run("postgresql", args.pg, args)


if __name__ == "__main__":
    sys.exit(main())
