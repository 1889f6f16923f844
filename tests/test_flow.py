"""The Prefect flow in local ephemeral mode: same output as the library alone, real run ids, artifacts."""

from __future__ import annotations

import asyncio
import random
import shutil
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from corpus import ROOT, SEEDS
from test_syndication import write_story_corpus

from kliping.config import RunConfig
from kliping.run import run_local

VOLATILE = ["flow_run_id", "processed_at"]


@pytest.fixture(scope="module")
def harness() -> Iterator[None]:
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=120):
        yield


def comparable(out: Path) -> pd.DataFrame:
    df = pd.read_parquet(out / "articles").drop(columns=VOLATILE)
    return df.sort_values("doc_id").reset_index(drop=True)


def test_flow_with_process_pool_equals_library(harness: None, tmp_path: Path) -> None:
    from prefect.client.orchestration import get_client

    from flows.kliping_flow import kliping_flow

    raw = tmp_path / "raw"
    raw.mkdir()
    write_story_corpus(raw, random.Random(7))
    result = kliping_flow(raw_dir=str(raw), out_dir=str(tmp_path / "flow"), batch_size=4, workers=2)
    run_local(raw, tmp_path / "local", RunConfig(workers=0))
    pd.testing.assert_frame_equal(comparable(tmp_path / "flow"), comparable(tmp_path / "local"))

    flow_run_id = result["flow_run_id"]
    uuid.UUID(flow_run_id)  # a real Prefect flow run id
    assert set(pd.read_parquet(tmp_path / "flow" / "articles")["flow_run_id"]) == {flow_run_id}
    assert result["counts"]["read.records"] == 17
    # every field of the run's summary but the per-file counts (in the artifact)
    from dataclasses import fields

    from kliping.run import RunSummary

    assert set(result) == {f.name for f in fields(RunSummary)} - {"per_file"}
    assert result["committed"] is True and result["counts"]["articles"] > 0

    async def read_artifacts() -> list[dict[str, Any]]:
        # The REST API directly: this Prefect client sends null for omitted filters, which its
        # server (with the FastAPI version Prefect 3.8 needs) rejects.
        async with get_client() as client:
            body = {
                "artifacts": {"key": {"any_": ["kliping-run-summary", "kliping-files"]}},
                "flow_runs": {"id": {"any_": [flow_run_id]}},
                "limit": 50, "offset": 0, "sort": "CREATED_DESC",
            }  # fmt: skip
            response = await client._client.post("/artifacts/filter", json=body)
            response.raise_for_status()
            return list(response.json())

    # Locally the batch tasks run in the main flow: no subflow (it cost a second a run), and
    # nothing the size of the plan is sent to the API (a 10,000-file plan was refused).
    assert asyncio.run(subflow_parameters(flow_run_id)) == []

    arts = asyncio.run(read_artifacts())
    mine = [a for a in arts if a["flow_run_id"] == flow_run_id]
    assert {a["key"] for a in mine} == {"kliping-run-summary", "kliping-files"}
    md = next(a for a in mine if a["key"] == "kliping-run-summary")["data"]
    table = next(a for a in mine if a["key"] == "kliping-files")["data"]
    assert "wire-A.jsonl" in str(table)
    assert "records read: 17 = articles 17 + rejects 0" in md
    assert "id.read_also" in md


def test_bad_parameter_fails_before_work(harness: None, tmp_path: Path) -> None:
    from flows.kliping_flow import kliping_flow
    from kliping.config import ConfigError

    with pytest.raises(ConfigError, match="threshold"):
        kliping_flow(raw_dir=str(tmp_path), out_dir=str(tmp_path / "out"), threshold=1.5)
    assert not (tmp_path / "out").exists()


def test_cli_run_on_seeds(tmp_path: Path) -> None:
    """`kliping run` end to end, as a user runs it: exit 0, one-screen summary, contract kept."""
    raw = tmp_path / "raw"
    shutil.copytree(SEEDS, raw)
    (raw / "broken.txt.gz").write_bytes(b"not gzip")
    exe = Path(sys.executable).with_name("kliping")
    proc = subprocess.run(
        [str(exe), "run", str(raw), "--out", str(tmp_path / "clean"), "--workers", "1"],
        capture_output=True, text=True, cwd=ROOT, timeout=300,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "records read: 6 = articles 5 + rejects 1" in proc.stdout
    assert "| malformed | 1 |" in proc.stdout
    checker = ROOT.parent / "shared" / "tools" / "check_contract.py"
    if checker.is_file():  # the contract checker ships beside the repo on development machines
        check = subprocess.run([sys.executable, str(checker), str(tmp_path / "clean"), "--raw", str(raw)],
                               capture_output=True, text=True)  # fmt: skip
        assert "contract: 0 problems" in check.stdout, check.stdout
    bad = subprocess.run([str(exe), "run", str(tmp_path / "nope")], capture_output=True, text=True, cwd=ROOT)
    assert bad.returncode != 0 and "does not exist" in bad.stderr


def test_one_shot_runs_send_no_heartbeats_unless_a_server_is_configured() -> None:
    """`kliping run` on the ephemeral API turns flow-run heartbeats off (nothing reads them, and
    ending their thread cost each run up to a second); against a configured server they stay on."""
    from prefect.settings import PREFECT_API_URL, get_current_settings, temporary_settings

    from flows.local import one_shot_settings

    with temporary_settings(updates={PREFECT_API_URL: None}):
        default = get_current_settings().flows.heartbeat_frequency
        assert default is not None
        with one_shot_settings():
            assert get_current_settings().flows.heartbeat_frequency is None
        assert get_current_settings().flows.heartbeat_frequency == default
    with temporary_settings(updates={PREFECT_API_URL: "http://127.0.0.1:4200/api"}), one_shot_settings():
        assert get_current_settings().flows.heartbeat_frequency == default


def test_failing_batch_is_retried_then_recorded_and_reread(
    harness: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import flows.kliping_flow as module
    from kliping.pipeline import BatchSpec, BatchSummary

    raw = tmp_path / "raw"
    shutil.copytree(SEEDS, raw)
    calls: list[int] = []
    real = module.run_batch

    def flaky(spec: BatchSpec) -> BatchSummary:
        calls.append(spec.index)
        if any(f.rel.startswith("002") for f in spec.files):
            raise RuntimeError("worker died")
        return real(spec)

    monkeypatch.setattr(module, "run_batch", flaky)
    out = tmp_path / "out"
    result = module.kliping_flow(raw_dir=str(raw), out_dir=str(out), batch_size=1, workers=0)
    failing = next(i for i, spec in enumerate(sorted(SEEDS.glob("*.txt"))) if spec.name.startswith("002"))
    assert calls.count(failing) == 2  # retried once
    arts = pd.read_parquet(out / "articles")
    rej = pd.read_parquet(out / "rejects")
    assert len(arts) == 4  # the other batches' work is kept
    assert rej["reason"].tolist() == ["batch_failed"] and rej["source_path"].str.startswith("002").all()
    assert result["counts"]["reject.batch_failed"] == 1

    monkeypatch.setattr(module, "run_batch", real)  # the next run reads the failed file again
    module.kliping_flow(raw_dir=str(raw), out_dir=str(out), batch_size=1, workers=0)
    assert len(pd.read_parquet(out / "articles")) == 5
    assert len(pd.read_parquet(out / "rejects")) == 0


def test_dask_local_cluster_equals_local_run(harness: None, tmp_path: Path) -> None:
    """The batch tasks on a real distributed.LocalCluster with two worker processes."""
    from distributed import LocalCluster

    from flows.kliping_flow import kliping_flow

    raw = tmp_path / "raw"
    raw.mkdir()
    write_story_corpus(raw, random.Random(11))
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        result = kliping_flow(
            raw_dir=str(raw),
            out_dir=str(tmp_path / "dask"),
            batch_size=5,
            dask_address=cluster.scheduler_address,
        )
    run_local(raw, tmp_path / "local", RunConfig(workers=0))
    pd.testing.assert_frame_equal(comparable(tmp_path / "dask"), comparable(tmp_path / "local"))
    assert result["counts"]["read.records"] == 17
    assert "per_file" not in result  # in the artifact: returned, Prefect walks it
    # On Dask the batches are a subflow, given one path (the API refused a 10,000-file plan)
    (params,) = asyncio.run(subflow_parameters(result["flow_run_id"]))
    assert set(params) == {"plan_file"} and params["plan_file"].endswith("plan.pickle")


async def subflow_parameters(flow_run_id: str) -> list[dict[str, Any]]:
    from prefect.client.orchestration import get_client

    async with get_client() as client:
        body = {"flow_runs": {"parent_flow_run_id": {"any_": [flow_run_id]}}, "limit": 10, "offset": 0}
        response = await client._client.post("/flow_runs/filter", json=body)
        response.raise_for_status()
        return [run["parameters"] for run in response.json()]


def test_cli_run_on_hostile_corpus(tmp_path: Path) -> None:
    """Every kind of broken input through `kliping run`: exit 0, every record in one table."""
    from test_rejects import write_hostile_corpus

    raw, expected = write_hostile_corpus(tmp_path, random.Random(5))
    out = tmp_path / "clean"
    exe = Path(sys.executable).with_name("kliping")
    proc = subprocess.run(
        [str(exe), "run", str(raw), "--out", str(out), "--workers", "2", "--max-record-bytes", "20000"],
        capture_output=True, text=True, cwd=ROOT, timeout=300,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-2000:]
    articles, rejects = pd.read_parquet(out / "articles"), pd.read_parquet(out / "rejects")
    line = next(x for x in proc.stdout.splitlines() if x.startswith("- records read:"))
    assert (
        line
        == f"- records read: {len(articles) + len(rejects)} = articles {len(articles)} + rejects {len(rejects)}"
    )
    got = dict(zip(rejects["source_path"], rejects["reason"], strict=False))
    assert {name: got.get(name) for name in expected} == expected
    assert "| text |" in proc.stdout and "| jsonl |" in proc.stdout  # per input type
