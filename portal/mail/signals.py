"""The mail worker's moments, for features that queue messages on a schedule (reminders before
events) without mail knowing them."""

from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

#: Before each pass of `mail send`, inside a write transaction the worker commits: receivers
#: queue the messages due now and return how many. `send(app)`
before_each_pass = _signals.signal("mail-before-each-pass")
