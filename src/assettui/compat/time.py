"""Stand-in for ``dagster._time``."""

import datetime
import time as _time


def get_current_datetime() -> datetime.datetime:
    return datetime.datetime.now(tz=datetime.UTC)


def get_current_timestamp() -> float:
    return _time.time()
