"""Staff accounts: creation and one-time passwords. Operations flush; callers commit."""
import secrets

import sqlalchemy as sa

from app.errors import Refusal
from app.extensions import db
from app.models import Role, User


def create_user(username, role, unit=None, display_name=""):
    """A new account with a one-time password; returns (user, password)."""
    if role == Role.liaison and unit is None:
        raise Refusal("单位联络员须选择所属单位。")
    if db.session.scalar(sa.select(User.id).where(User.username == username)) is not None:
        raise Refusal(f"用户名 {username} 已存在。", 409)
    user = User(username=username, display_name=display_name.strip(), role=role,
                unit_id=unit.id if unit is not None and role == Role.liaison else None)
    db.session.add(user)
    return user, reset_password(user)


def reset_password(user):
    """Set a fresh one-time password, to be changed at first sign-in; returns it (shown once)."""
    password = secrets.token_urlsafe(12)
    user.set_password(password)
    user.must_change_password = True
    db.session.flush()
    return password
