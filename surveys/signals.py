"""What the survey domain announces; the composition connects the listeners of other domains."""
from blinker import Namespace

_signals = Namespace()

#: A response with a bad rating whose respondent left a phone for a callback. Keyword arguments:
#: unit_id, phone, items ("dimension:item text" of each badly rated item), requested_on (the day).
callback_requested = _signals.signal("callback-requested")
