"""The instance poller: one thread tells every subscribed view when to reload."""

from __future__ import annotations

import threading
import time

from assettui.storage import Storage
from assettui.tui.instance_poller import InstanceChanged, InstancePoller


class RecordingView:
    """Stands in for a widget: counts the messages posted to it (from the poller thread)."""

    def __init__(self) -> None:
        self.messages = 0
        self._lock = threading.Lock()

    def post_message(self, message: object) -> bool:
        assert isinstance(message, InstanceChanged)
        with self._lock:
            self.messages += 1
        return True


def wait_until(condition, what: str) -> None:
    deadline = time.monotonic() + 10
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"never happened: {what}")
        time.sleep(0.01)


class RunningPoller:
    def __init__(self, storage: Storage, interval: float = 0.02):
        self.poller = InstancePoller(storage, interval)
        self.errors: list[Exception] = []
        self._stop = False
        self.thread = threading.Thread(
            target=self.poller.run, args=(lambda: self._stop, self.errors.append)
        )

    def __enter__(self) -> InstancePoller:
        self.thread.start()
        return self.poller

    def __exit__(self, *exc: object) -> None:
        self._stop = True
        self.poller.poke()
        self.thread.join(5)


def test_a_commit_from_another_connection_reaches_every_view(tmp_path):
    storage = Storage(tmp_path)
    runs, logs = RecordingView(), RecordingView()
    running = RunningPoller(storage)
    # Subscribed before the thread starts, so its first look (a change from nothing) is
    # seen by both views: one message from subscribing, one from that first look.
    running.poller.subscribe(runs, every=0)  # type: ignore[arg-type]
    running.poller.subscribe(logs, every=0)  # type: ignore[arg-type]
    with running:
        wait_until(lambda: runs.messages >= 2 and logs.messages >= 2, "first loads")
        time.sleep(0.2)
        quiet = runs.messages, logs.messages
        time.sleep(0.2)
        assert (runs.messages, logs.messages) == quiet  # nothing changed: nobody reloads
        with Storage(tmp_path) as writer:  # another process's connection, say
            writer.settings.set("theme", "light")
        wait_until(lambda: runs.messages > quiet[0] and logs.messages > quiet[1], "change")
    storage.close()


def test_a_probe_refreshes_its_own_view_only(tmp_path):
    storage = Storage(tmp_path)
    probed, plain = RecordingView(), RecordingView()
    value = [0]
    with RunningPoller(storage) as poller:
        poller.subscribe(probed, lambda: value[0], every=0)  # type: ignore[arg-type]
        poller.subscribe(plain, every=0)  # type: ignore[arg-type]
        time.sleep(0.2)
        before = probed.messages, plain.messages
        value[0] = 1  # say, the capture file of the run shown grew
        wait_until(lambda: probed.messages > before[0], "the probe's change")
        time.sleep(0.1)
        assert plain.messages == before[1]
    storage.close()


def test_changes_are_coalesced_to_one_message_per_interval_and_none_is_lost(tmp_path):
    storage = Storage(tmp_path)
    slow = RecordingView()
    value = [0]
    with RunningPoller(storage) as poller:
        poller.subscribe(slow, lambda: value[0], every=2.0)  # type: ignore[arg-type]
        time.sleep(2.1)
        before = slow.messages
        for n in range(1, 6):  # five changes within 0.1 s ...
            value[0] = n
            time.sleep(0.02)
        time.sleep(0.3)
        assert slow.messages - before <= 1  # ... are at most one message so far
        wait_until(lambda: slow.messages == before + 2, "the pending change posted")
    storage.close()


def test_an_unsubscribed_view_hears_nothing_more(tmp_path):
    storage = Storage(tmp_path)
    view = RecordingView()
    running = RunningPoller(storage)
    running.poller.subscribe(view, every=0)  # type: ignore[arg-type]  (before its first look)
    with running as poller:
        wait_until(lambda: view.messages >= 2, "first loads")
        poller.unsubscribe(view)  # type: ignore[arg-type]
        count = view.messages
        storage.settings.set("theme", "light")
        time.sleep(0.2)
        assert view.messages == count
    storage.close()
