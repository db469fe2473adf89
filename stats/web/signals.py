"""What the statistics layer asks of other domains; the composition connects who answers."""
from blinker import Namespace

_signals = Namespace()

#: Sent with `year`; each receiver returns that year's overdue-case deductions as dicts with unit_code,
#: points, case_number, stage, reason, revoked, revoke_reason.
overdue_deductions_wanted = _signals.signal("overdue-deductions-wanted")

#: Sent with `year`; each receiver returns {unit code: {"callbacks", "called_back", "to_rectify",
#: "rectified"}}: that year's callback cases from bad ratings per rated unit (see stats/followup.py).
callback_counts_wanted = _signals.signal("callback-counts-wanted")

#: Sent with `start` (a date) and `days`; the receiver returns the `days`-th working day after `start`
#: on the calendar in force (holidays and 调休 included): the last day an appeal may be lodged.
working_day_wanted = _signals.signal("working-day-wanted")

#: Sent with `unit_id`, `text` and `key` (unique per notice); the receiver queues the text for the unit
#: (the outbox), once per key: the decision on the unit's appeal.
unit_notice_wanted = _signals.signal("unit-notice-wanted")
