"""One thread watches the instance and tells the views showing it when to refresh.

Every view that shows instance data (runs, logs, states, calendar, automation, backfills)
subscribes here instead of polling on its own. Twice a second the poller reads the storage's
change token (one cheap query); when it moved, every subscriber gets an
:class:`InstanceChanged` message and reloads in a Textual worker of its own. A subscriber
can add a *probe*, a cheap function of things outside the database (a log view's capture
files, the clock while runs are in progress); a change in its value refreshes that
subscriber alone.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any

from textual.app import App
from textual.message import Message
from textual.message_pump import MessagePump
from textual.worker import get_current_worker

from assettui.errors import AssettuiError
from assettui.storage import Storage

POLL_SECONDS = 0.1  # how often the poller looks (a log view shows new lines this fast)
REFRESH_SECONDS = 0.5  # how often a view reloads at most, unless it asks for more

Probe = Callable[[], Hashable]


class InstanceChanged(Message, bubble=False):
    """What the receiver shows may have changed: reload it."""


@dataclass(frozen=True, slots=True)
class _Subscription:
    probe: Probe | None
    every: float


class InstancePoller:
    """Posts :class:`InstanceChanged` to subscribers when the instance changes.

    Args:
        storage: the instance storage.
        interval: seconds between two looks at the instance.
    """

    def __init__(self, storage: Storage, interval: float = POLL_SECONDS):
        self.storage = storage
        self.interval = interval
        self._subscribers: dict[MessagePump, _Subscription] = {}
        self._lock = threading.Lock()
        self._wake = threading.Event()

    def subscribe(
        self, view: MessagePump, probe: Probe | None = None, every: float = REFRESH_SECONDS
    ) -> None:
        """Tell ``view`` about changes from now on (it gets one message right away).

        Args:
            view: the widget or screen to post :class:`InstanceChanged` to.
            probe: a cheap function (called on the poller's thread) whose value changing
                also means ``view`` should reload.
            every: post to ``view`` at most once per this many seconds; changes meanwhile
                are kept and posted when the time is up.
        """
        with self._lock:
            self._subscribers[view] = _Subscription(probe, every)
        view.post_message(InstanceChanged())

    def unsubscribe(self, view: MessagePump) -> None:
        with self._lock:
            self._subscribers.pop(view, None)

    def poke(self) -> None:
        """Look now instead of at the next interval (after the UI wrote something)."""
        self._wake.set()

    def start(self, app: App[Any]) -> None:
        """Run the loop in a thread worker of ``app`` (it stops with the app)."""

        def loop() -> None:
            worker = get_current_worker()
            self.run(
                lambda: worker.is_cancelled or not app.is_running,
                lambda error: app.call_from_thread(app.notify, str(error), severity="warning"),
            )

        app.run_worker(loop, thread=True, name="instance-poller", group="instance-poller")

    def run(self, cancelled: Callable[[], bool], report: Callable[[AssettuiError], None]) -> None:
        """The polling loop (run it in a thread); returns when ``cancelled()`` is true.

        Args:
            cancelled: whether to stop.
            report: called with a storage error (a busy or broken instance); polling goes on.
        """
        token: Hashable = None
        probed: dict[MessagePump, Hashable] = {}
        pending: set[MessagePump] = set()
        posted: dict[MessagePump, float] = {}
        while not cancelled():
            try:
                latest: Hashable = self.storage.change_token()
            except AssettuiError as error:
                report(error)
                latest = token
            changed, token = latest != token, latest
            with self._lock:
                subscribers = dict(self._subscribers)
            now = time.monotonic()
            for view, subscription in subscribers.items():
                value = _probe(subscription.probe)
                if changed or value != probed.get(view):
                    pending.add(view)
                probed[view] = value
                if view in pending and now - posted.get(view, 0.0) >= subscription.every:
                    pending.discard(view)
                    posted[view] = now
                    view.post_message(InstanceChanged())
            for gone in set(probed) - set(subscribers):
                probed.pop(gone, None)
                posted.pop(gone, None)
                pending.discard(gone)
            self._wake.wait(self.interval)
            self._wake.clear()


def _probe(probe: Probe | None) -> Hashable:
    if probe is None:
        return None
    try:
        return probe()
    except (OSError, AssettuiError):
        return None  # unreadable for now: try again next time


def poller_of(view: MessagePump, storage: Storage) -> InstancePoller:
    """The app's poller (``app.instance_poller``); an app without one gets one started."""
    app = view.app
    poller = getattr(app, "instance_poller", None)
    if not isinstance(poller, InstancePoller):
        poller = InstancePoller(storage)
        setattr(app, "instance_poller", poller)  # noqa: B010 (any App can host views)
        poller.start(app)
    return poller
