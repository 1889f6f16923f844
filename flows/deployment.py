"""The scheduled deployment of the flow: served from this machine, or deployed to a work pool.

`kliping serve --cron …` builds the deployment here and serves it (Prefect's `serve`);
`prefect.yaml` at the repository root declares the same deployment for `prefect deploy`.
"""

from __future__ import annotations

from typing import Any

from prefect.deployments.runner import RunnerDeployment
from prefect.schedules import Cron

from flows.kliping_flow import kliping_flow

DEFAULT_DEPLOYMENT = "kliping-scheduled"
# Indonesian newsrooms publish on WIB: a daily schedule such as "0 6 * * *" means 06:00 in Jakarta.
DEFAULT_TIMEZONE = "Asia/Jakarta"


def build_deployment(
    cron: str, parameters: dict[str, Any], name: str = DEFAULT_DEPLOYMENT, timezone: str = DEFAULT_TIMEZONE
) -> RunnerDeployment:
    """The deployment with its schedule and parameters; parameters are validated against the flow."""
    deployment = kliping_flow.to_deployment(
        name=name,
        schedules=[Cron(cron, timezone=timezone)],
        parameters=parameters,
        description="Clean new raw news records into the Parquet dataset; match syndicated copies.",
        tags=["kliping"],
    )
    assert isinstance(deployment, RunnerDeployment)  # sync context: not a coroutine
    return deployment


def serve(
    cron: str, parameters: dict[str, Any], name: str = DEFAULT_DEPLOYMENT, timezone: str = DEFAULT_TIMEZONE
) -> None:
    from prefect import serve as prefect_serve

    prefect_serve(build_deployment(cron, parameters, name, timezone))
