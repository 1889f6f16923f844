"""Shared fixtures: the shipped seed articles and small corpora the tests write themselves."""

from __future__ import annotations

import os
import random

import pytest

os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
# a new PREFECT_HOME's database takes Prefect longer to create than its 20 s default wait
os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "180")
os.environ.setdefault("DO_NOT_TRACK", "1")


@pytest.fixture
def rng() -> random.Random:
    return random.Random(20241024)


@pytest.fixture(scope="session", autouse=True)
def _prefect_home(tmp_path_factory: pytest.TempPathFactory) -> None:
    os.environ["PREFECT_HOME"] = str(tmp_path_factory.mktemp("prefect-home"))
    # kliping's own cache (the language model), kept out of the user's cache folder
    os.environ["KLIPING_CACHE_DIR"] = str(tmp_path_factory.mktemp("kliping-cache"))
