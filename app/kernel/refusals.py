"""The refusal every domain raises: a message for the user and the HTTP status to answer with.

Every exception class of app/, surveys/, complaints/ and stats/web/ derives from Refusal (a test walks
them), and one handler, registered by the composition (app/site.py), answers any refusal a view lets
through. Only the pure stats/ core keeps its own input error.
"""


class Refusal(Exception):
    """`message` is what the user reads (Chinese); `errors` optional details, one per line or row."""

    status = 400

    def __init__(self, message, status=None, errors=()):
        super().__init__(message)
        self.message = message
        if status is not None:
            self.status = status
        self.errors = list(errors)
