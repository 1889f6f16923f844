"""Progress events from the flow to whoever listens in the same process (the CLI's bar)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Listener = Callable[[str, dict[str, Any]], None]
_listeners: list[Listener] = []


def listen(fn: Listener) -> None:
    _listeners.append(fn)


def forget(fn: Listener) -> None:
    if fn in _listeners:
        _listeners.remove(fn)


def emit(event: str, **data: Any) -> None:
    for fn in list(_listeners):
        fn(event, data)
