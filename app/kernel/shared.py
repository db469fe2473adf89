"""Pages that are the same for every visitor (public results), which shared caches may keep.

Such a page must not read the session: reading it makes Flask answer `Vary: Cookie` (and may refresh the
cookie), which defeats any cache. A view marked @shared_page is skipped by hooks that would look at the
signed-in user, rendered without the context processors (render_shared), and its session is neither
read nor saved (app/kernel/sessions.py): Flask-Login touches the session after every request.
"""
from flask import current_app, request


def shared_page(view):
    view.shared_page = True
    return view


def is_shared_page():
    """Whether this request is for a view marked @shared_page."""
    view = current_app.view_functions.get(request.endpoint) if request.endpoint else None
    return getattr(view, "shared_page", False)


def render_shared(name, **context):
    """A template rendered for a shared page: without the context processors (Flask-Login's loads the
    user from the session), with public_page set so that the base layout leaves out the signed-in
    header and flashed messages."""
    return current_app.jinja_env.get_template(name).render(public_page=True, **context)

