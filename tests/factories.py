"""Test data factories: each makes a valid object with sensible defaults and flushes."""
import itertools
from datetime import date

from app.demo import FIXED_ITEMS, NONFIXED_ITEMS
from app.registry.models import Unit, User, Window
from surveys.models import Campaign, FixedRespondent, Item, Questionnaire

_seq = itertools.count(1)


class Factory:
    def __init__(self, session):
        self.session = session

    def _save(self, obj):
        self.session.add(obj)
        self.session.flush()
        return obj

    def unit(self, name=None, category=1, code=None):
        n = next(_seq)
        return self._save(Unit(code=code or f"T{n:04d}", name=name or f"测试单位{n}", category=category))

    def window(self, unit=None, code=None, name="综合窗口"):
        unit = unit or self.unit()
        return self._save(Window(unit_id=unit.id, code=code or f"W{next(_seq):05d}", name=name))

    def user(self, role="admin", unit=None, password="a-long-test-password", username=None):
        if role == "liaison" and unit is None:
            unit = self.unit()
        user = User(username=username or f"{role}{next(_seq)}", role=role, unit_id=unit.id if unit else None)
        user.set_password(password)
        return self._save(user)

    def questionnaire(self, group="nonfixed", specs=None, code=None):
        specs = specs or (FIXED_ITEMS if group == "fixed" else NONFIXED_ITEMS)
        questionnaire = Questionnaire(code=code or f"q{next(_seq)}", version=1, group=group, title="测试问卷")
        questionnaire.items = [
            Item(code=c, text=t, dimension=d, weight=w, allow_unknown=u, position=i)
            for i, (c, t, d, w, u) in enumerate(specs)
        ]
        return self._save(questionnaire)

    def campaign(self, year=None, opens_on=None, closes_on=None):
        today = date.today()
        year = year or today.year
        return self._save(Campaign(
            year=year, name=f"{year}年度测评",
            opens_on=opens_on or date(today.year - 1, 1, 1), closes_on=closes_on or date(today.year + 1, 12, 31),
            fixed_questionnaire_id=self.questionnaire("fixed").id,
            nonfixed_questionnaire_id=self.questionnaire("nonfixed").id,
        ))

    def fixed_respondent(self, unit=None, name=None):
        unit = unit or self.unit()
        return self._save(FixedRespondent(unit_id=unit.id, name=name or f"测试企业{next(_seq)}"))
