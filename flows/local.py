"""Prefect settings for one run of the flow in this process, on Prefect's ephemeral API."""

from __future__ import annotations

import contextlib
from typing import Any

from prefect.settings import PREFECT_FLOWS_HEARTBEAT_FREQUENCY, get_current_settings, temporary_settings


def one_shot_settings() -> contextlib.AbstractContextManager[Any]:
    """Settings for one `kliping run` on Prefect's ephemeral API: no flow-run heartbeats.

    A server watches heartbeats to mark a flow run whose process died as crashed; the ephemeral
    API dies with the process, so nothing ever reads them, and ending the heartbeat thread cost
    every run up to a second: Prefect 3.9 joins it while it sleeps in one-second steps (0.94 s
    of an empty flow run's 1.25 s here; 0.15 to 0.4 s of a flow run on the seed articles).
    Against a configured server (PREFECT_API_URL) nothing changes: there heartbeats are how a
    crashed run is told from a slow one."""
    if get_current_settings().api.url:
        return contextlib.nullcontext()
    return temporary_settings(updates={PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None})
