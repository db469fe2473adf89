"""The refusal every domain raises: a message for the user and the HTTP status to answer with."""


class Refusal(Exception):
    status = 400

    def __init__(self, message, status=None):
        super().__init__(message)
        self.message = message
        if status is not None:
            self.status = status
