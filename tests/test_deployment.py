"""The scheduled deployment: `kliping serve`'s schedule and parameters, and prefect.yaml agreeing with it."""

from __future__ import annotations

import argparse
import inspect
from pathlib import Path

import pytest
import yaml
from corpus import ROOT


def test_serve_builds_the_cron_deployment_with_parameters() -> None:
    from flows.deployment import build_deployment
    from kliping.cli import _add_run_options, _flow_parameters

    parser = argparse.ArgumentParser()
    _add_run_options(parser)
    args = parser.parse_args(["/data/raw", "--out", "/data/clean", "--threshold", "0.6", "--workers", "2"])
    dep = build_deployment("*/30 * * * *", _flow_parameters(args))
    assert dep.name == "kliping-scheduled"
    assert dep.entrypoint.endswith("flows/kliping_flow.py:kliping_flow")
    (schedule,) = dep.schedules
    assert schedule.schedule.cron == "*/30 * * * *"
    assert schedule.schedule.timezone == "Asia/Jakarta"
    assert dep.parameters["raw_dir"] == "/data/raw" and dep.parameters["out_dir"] == "/data/clean"
    assert dep.parameters["threshold"] == 0.6 and dep.parameters["workers"] == 2
    # the parameter schema Prefect enforces is typed from the flow's signature
    assert dep.enforce_parameter_schema
    props = dep._parameter_openapi_schema.properties
    assert props["threshold"]["type"] == "number" and props["batch_size"]["type"] == "integer"


def test_bad_cron_is_refused() -> None:
    from flows.deployment import build_deployment

    with pytest.raises(ValueError):
        build_deployment("every thirty minutes", {})


def test_prefect_yaml_declares_the_same_deployment() -> None:
    from flows.kliping_flow import kliping_flow

    doc = yaml.safe_load((ROOT / "prefect.yaml").read_text())
    (dep,) = doc["deployments"]
    path, name = dep["entrypoint"].split(":")
    assert (ROOT / path).is_file() and name == kliping_flow.fn.__name__
    accepted = set(inspect.signature(kliping_flow.fn).parameters)
    assert set(dep["parameters"]) <= accepted
    assert dep["schedules"][0]["cron"] == "*/30 * * * *"
    assert Path(ROOT / "flows" / "kliping_flow.py").read_text().count("@flow(name=FLOW_NAME") == 1
