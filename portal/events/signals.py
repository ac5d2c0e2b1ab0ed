"""What happens to an event, for the features above events to act on without events knowing them.

Each is sent inside the transaction that makes the change, so that what a receiver writes (a
promotion from the waiting list, an updated invitation in the outbox) is saved with it or not at
all. Receivers connect when their module is imported (every feature is, when the app is made).
"""

from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

#: Before an edit is saved: each receiver returns why the event cannot have the new capacity
#: and places per trust (a message for the coordinator), or None.
#: `send(event, capacity=…, trust_cap=…)`
capacity_changing = _signals.signal("event-capacity-changing")

#: A published event was edited. `send(event, calendar_change=…, actor=…)`; `calendar_change`
#: says whether its time or place changed (what a calendar shows).
event_changed = _signals.signal("event-changed")

#: A published event was cancelled. `send(event)`
event_cancelled = _signals.signal("event-cancelled")
