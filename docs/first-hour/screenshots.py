"""Retake the screenshots of docs/first-hour.md: a fresh instance, the real server, headless Chromium.

    .venv/bin/python docs/first-hour/screenshots.py [--out docs/first-hour]

Walks the first hour as a newcomer would — `flask init`, sign in with the one-time password, add a
handler, open a window's poster, answer it on a phone, file a complaint, run a score — and saves each
page at 360 px (a phone) and 1366 px (an office PC). Needs Debian's chromium (./manage.sh test installs it).
"""
import argparse
import os
import pathlib
import re
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

from playwright.sync_api import sync_playwright

ROOT = pathlib.Path(__file__).resolve().parents[2]
FLASK = [str(ROOT / ".venv" / "bin" / "flask"), "--app", "wsgi"]
PASSWORD = "first-hour-password-2026"
WIDTHS = {"phone": (360, 780), "desktop": (1366, 800)}


def _free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _start(instance):
    """`flask init` on a new instance (its one-time admin password), then the server on a free port."""
    port = _free_port()
    # As the README asks first: the public address (here this computer), so printouts carry no 样张 mark.
    env = {**os.environ, "XN_INSTANCE_PATH": str(instance), "XN_PUBLIC_BASE_URL": f"http://127.0.0.1:{port}"}
    init = subprocess.run([*FLASK, "init"], cwd=ROOT, env=env, capture_output=True, text=True, check=True)
    once = re.search(r"一次性密码：(\S+?)（", init.stdout).group(1)
    server = subprocess.Popen([*FLASK, "run", "--port", str(port)], cwd=ROOT, env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            urllib.request.urlopen(base + "/healthz", timeout=1)
            return server, base, once
        except OSError:
            time.sleep(0.2)
    server.terminate()
    raise SystemExit("the server did not start")


class Camera:
    """One browser context per width; `shot` saves the current page of each under a step's name."""

    def __init__(self, browser, out):
        self.out, self.pages = out, {}
        for name, (width, height) in WIDTHS.items():
            context = browser.new_context(viewport={"width": width, "height": height}, locale="zh-CN",
                                          is_mobile=name == "phone", has_touch=name == "phone")
            self.pages[name] = context.new_page()

    def both(self, url):
        for page in self.pages.values():
            page.goto(url)

    def shot(self, step):
        for name, page in self.pages.items():
            page.screenshot(path=str(self.out / f"{step}-{WIDTHS[name][0]}.png"))


def _sign_in(page, base, username, password):
    page.goto(base + "/auth/login")
    page.fill("#username", username)
    page.fill("#password", password)
    page.locator("main button[type=submit]").click()
    page.wait_for_load_state()


def walk(base, once, out, browser):
    camera = Camera(browser, out)
    phone, desk = camera.pages["phone"], camera.pages["desktop"]
    camera.both(base + "/auth/login")
    camera.shot("01-sign-in")
    _sign_in(desk, base, "admin", once)  # the one-time password must be changed first
    desk.fill("#current", once)
    desk.fill("#new", PASSWORD)
    desk.fill("#confirm", PASSWORD)
    desk.locator("main button[type=submit]").click()
    _sign_in(phone, base, "admin", PASSWORD)
    camera.both(base + "/staff")
    camera.shot("02-dashboard")

    desk.goto(base + "/admin/users/new")
    desk.fill("#username", "wang")
    desk.fill("#display_name", "王处理")
    desk.select_option("#role", "handler")
    desk.locator("main button[type=submit]").click()
    desk.wait_for_load_state()
    desk.screenshot(path=str(out / "03-handler-1366.png"))
    phone.goto(base + "/admin/users")
    phone.screenshot(path=str(out / "03-handler-360.png"))

    camera.both(base + "/admin/surveys/windows/A101-W1/poster")
    camera.shot("04-poster")

    citizen = browser.new_context(viewport={"width": 360, "height": 780}, is_mobile=True, has_touch=True,
                                  locale="zh-CN").new_page()
    citizen.goto(base + "/s/A101-W1")
    for fieldset in citizen.locator("fieldset.item").all():
        fieldset.get_by_text("满意", exact=True).click()
    citizen.screenshot(path=str(out / "05-answer-360.png"))
    desk.goto(base + "/s/A101-W1")
    desk.screenshot(path=str(out / "05-answer-1366.png"))
    citizen.get_by_role("button", name="提交评价").click()
    citizen.wait_for_url("**/thanks**")

    citizen.goto(base + "/cases/new?unit=A101")
    citizen.get_by_text("投诉", exact=True).click()
    citizen.fill("#description", "窗口工作人员态度生硬，材料齐全却让我跑了三趟。")
    citizen.fill("#name", "张三")
    citizen.fill("#phone", "13812345678")
    citizen.check("#consent")
    citizen.get_by_role("button", name="提交").click()
    citizen.wait_for_url("**/cases/done/**")
    citizen.screenshot(path=str(out / "06-complaint-360.png"))
    _sign_in(desk, base, "admin", PASSWORD)
    desk.goto(base + "/staff/cases/")
    desk.screenshot(path=str(out / "06-complaint-1366.png"))

    desk.goto(base + "/stats/")
    desk.get_by_role("button", name="开始计分").click()
    desk.wait_for_load_state()
    camera.pages["phone"].goto(desk.url)
    camera.shot("07-score")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(ROOT / "docs" / "first-hour"))
    out = pathlib.Path(parser.parse_args().out)
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as instance:
        server, base, once = _start(pathlib.Path(instance))
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path="/usr/bin/chromium",
                                                     args=["--no-sandbox", "--disable-gpu"])
                walk(base, once, out, browser)
                browser.close()
        finally:
            server.terminate()
            server.wait(timeout=10)
    print(f"screenshots in {out}", file=sys.stderr)


if __name__ == "__main__":
    main()
