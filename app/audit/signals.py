"""What the audit log asks of the domains; the composition connects their answers."""
from blinker import Namespace

_signals = Namespace()

#: Sent by `audit verify` with no arguments; each receiver returns a list of problems in Chinese (empty
#: when its own records agree with their history), e.g. a case whose status its timeline cannot reach.
integrity_checks_wanted = _signals.signal("integrity-checks-wanted")
