#!/usr/bin/env bash
# Set-up and everyday commands. `./manage.sh run` serves the app; `./manage.sh flask …` runs any of its
# commands inside the project's virtual environment; `./manage.sh test` runs every test.
set -euo pipefail
cd "$(dirname "$0")"
PY=${PYTHON:-python3}

ensure_venv() {  # $1: requirements file; reinstalls only when it changed
    [ -x .venv/bin/python ] || "$PY" -m venv .venv
    local stamp=".venv/.installed-$(basename "$1")"
    if [ ! -f "$stamp" ] || ! cmp -s "$1" "$stamp"; then
        .venv/bin/pip install --quiet --disable-pip-version-check -r "$1"
        cp "$1" "$stamp"
    fi
}

ensure_system_packages() {  # CJK fonts and Pango for PDFs; with "browser", Chromium for browser tests
    local missing=()
    [ "${1:-}" = browser ] && ! command -v chromium >/dev/null && missing+=(chromium)
    fc-list :lang=zh 2>/dev/null | grep -q . || missing+=(fonts-wqy-microhei fonts-wqy-zenhei)
    # 公文 fallbacks when the government fonts (小标宋, 仿宋_GB2312, 楷体_GB2312, 黑体) are absent
    fc-list | grep -q "Noto Serif CJK" || missing+=(fonts-noto-cjk)
    fc-list | grep -q "AR PL KaitiM GB" || missing+=(fonts-arphic-gkai00mp)
    ldconfig -p 2>/dev/null | grep -q libpangoft2 || missing+=(libpango-1.0-0 libpangoft2-1.0-0)
    command -v pdftoppm >/dev/null || missing+=(poppler-utils)
    [ ${#missing[@]} -eq 0 ] && return 0
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
        apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
    else
        echo "warning: missing system packages (${missing[*]}); PDFs may lack fonts, browser and PDF tests will be skipped" >&2
    fi
}

case "${1:-run}" in
    run)
        ensure_venv requirements.txt
        ensure_system_packages
        .venv/bin/flask --app wsgi init
        if [ -z "${XN_PUBLIC_BASE_URL:-}" ] && ! grep -qs '^PUBLIC_BASE_URL' instance/config.py; then
            echo "提示：未设置对外访问地址，打印的二维码和链接将指向本机并标为“样张”。"
            echo "      正式使用前请设置，例如：XN_PUBLIC_BASE_URL=https://xn.example.gov.cn ./manage.sh run"
        fi
        exec .venv/bin/flask --app wsgi run --host 127.0.0.1 --port "${PORT:-5000}"
        ;;
    flask)  # any command of the app, e.g. ./manage.sh flask users create wang --role handler
        shift
        ensure_venv requirements.txt
        exec .venv/bin/flask --app wsgi "$@"
        ;;
    test)
        shift || true
        ensure_venv requirements-dev.txt
        ensure_system_packages browser
        # Both passes run even if the first fails, so one run shows everything; the exit status is
        # non-zero if either pass failed.
        echo "== tests on SQLite"
        sqlite=0
        env -u TEST_DATABASE_URL .venv/bin/python -m pytest "$@" || sqlite=$?
        postgres=skipped
        if [ -n "${TEST_DATABASE_URL:-}" ]; then
            echo "== tests on PostgreSQL ($TEST_DATABASE_URL)"
            postgres=0
            .venv/bin/python -m pytest "$@" || postgres=$?
        fi
        verdict() { case "$1" in 0) echo passed ;; skipped) echo "skipped (TEST_DATABASE_URL not set)" ;; *) echo "FAILED (pytest exit $1)" ;; esac; }
        echo "== SQLite: $(verdict "$sqlite"); PostgreSQL: $(verdict "$postgres")"
        [ "$sqlite" = 0 ] && { [ "$postgres" = 0 ] || [ "$postgres" = skipped ]; }
        ;;
    *)
        echo "usage: ./manage.sh [run | flask COMMAND… | test [pytest args]]" >&2
        exit 2
        ;;
esac
