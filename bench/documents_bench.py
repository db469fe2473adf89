"""Benchmark of the print runs: the 113 unit reports of a run, and 500 invitation letters.

    python bench/documents_bench.py [--letters 500] [--workers N]

Builds a throwaway SQLite instance with the 113 units of the bundled list, a campaign with a few responses
per unit (written straight into the database), stores a score run, then times
`notices unit-reports` (one PDF per unit plus the merged one, on every core) and the invitation letters of
one unit with --letters fixed respondents. Target (issue 13): 113 unit reports in ≤ 60 s on 2 cores.
"""
from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import time
import uuid
from datetime import date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # run as a script from anywhere


def _app(folder):
    from app import create_app
    from app.kernel.extensions import db

    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder}/bench.sqlite3", "SECRET_KEY": "bench",
                      "UPLOAD_FOLDER": f"{folder}/uploads", "PUBLIC_BASE_URL": "https://xn.example.gov.cn"})
    with app.app_context():
        db.create_all()
    return app


def _responses(campaign, units, per_unit, rng):
    from surveys.models import Answer, Response

    noon = datetime(campaign.year, 3, 1, 4, 0)
    for unit in units:
        for group in ("fixed", "nonfixed") * (per_unit // 2):
            questionnaire = campaign.questionnaire_for(group)
            response = Response(public_id=uuid.uuid4().hex, campaign_id=campaign.id, unit_id=unit.id, group=group,
                                questionnaire_id=questionnaire.id, channel="qr", submitted_at=noon,
                                started_at=noon - timedelta(seconds=120))
            response.answers = [Answer(item_id=item.id, level=rng.choice((5, 5, 4, 4, 3, 2)))
                                for item in questionnaire.items]
            yield response


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--letters", type=int, default=500)
    parser.add_argument("--workers", type=int, default=None)
    parser.add_argument("--per-unit", type=int, default=20, help="responses per unit")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        app = _app(folder)
        with app.app_context():
            run, unit, campaign = _setup(args, random.Random(7))
            from stats.web import unit_reports
            from surveys import printing

            started = time.perf_counter()
            paths = unit_reports.write_all(run, os.path.join(folder, "reports"), workers=args.workers)
            reports_s = time.perf_counter() - started
            started = time.perf_counter()
            pdf, count = printing.invitation_letters(campaign, unit)
            letters_s = time.perf_counter() - started
    print(f"machine: {os.cpu_count()} cores")
    print(f"unit reports: {len(paths) - 1} units + merged in {reports_s:.1f} s (target ≤ 60 s)")
    print(f"invitation letters: {count} letters, {len(pdf) / 1e6:.1f} MB in {letters_s:.1f} s")


def _setup(args, rng):
    from app.demo import load_demo
    from app.kernel.extensions import db
    from app.registry import operations as registry_operations
    from app.registry.models import Role, Unit
    from stats.web.runs import create_run
    from surveys.models import Campaign, FixedRespondent

    registry_operations.load_default_units()
    year = date.today().year
    load_demo(year)
    campaign = db.session.scalars(db.select(Campaign).where(Campaign.year == year)).first()
    units = db.session.scalars(db.select(Unit).order_by(Unit.code)).all()
    db.session.add_all(_responses(campaign, units, args.per_unit, rng))
    for index in range(args.letters):
        db.session.add(FixedRespondent(unit_id=units[0].id, name=f"邀请测试企业{index + 1}", kind="enterprise"))
    user, _password = registry_operations.create_user("bench", Role.statistician)
    db.session.flush()
    run = create_run(year, user, "default")
    db.session.commit()
    return run, units[0], campaign


if __name__ == "__main__":
    main()
