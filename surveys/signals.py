"""What the survey domain announces; the composition connects the listeners of other domains."""
from blinker import Namespace

_signals = Namespace()

#: A response with a bad rating whose respondent left a phone for a callback. Keyword arguments:
#: unit_id, phone, items ("dimension:item text" of each badly rated item), requested_on (the day).
callback_requested = _signals.signal("callback-requested")

#: Sent by the live counts page with campaign_id and now (naive UTC); each receiver returns a list of the
#: current clock hour's stuffing alarms (dicts with kind, unit_code, unit_name, hour, count, …).
live_screening_wanted = _signals.signal("live-screening-wanted")
