"""A small Dask cluster shared by the portfolio tests (two single-threaded worker processes)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import distributed
import pytest


@pytest.fixture(scope="session")
def dask_cluster() -> Iterator[Any]:
    """A running ``LocalCluster``; its ``scheduler_address`` is what ``--scheduler`` takes."""
    import logging

    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address="127.0.0.1:0",
                                  silence_logs=logging.CRITICAL) as cluster:
        yield cluster


@pytest.fixture(scope="session")
def dask_client(dask_cluster: Any) -> Iterator[Any]:
    with distributed.Client(dask_cluster) as client:
        yield client
