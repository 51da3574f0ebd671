"""kit/workers.py: calls run in other processes, answers come back in order, failures are clear."""

from __future__ import annotations

import os
import sys

import pytest

from relaybird.kit.workers import Pool, WorkerDied


def pid_and_square(n: int) -> tuple[int, int]:
    return os.getpid(), n * n


def modules_loaded() -> list[str]:
    return sorted(sys.modules)


def boom(message: str) -> None:
    raise ValueError(message)


def die() -> None:
    os._exit(3)


def test_calls_run_in_other_processes_and_come_back_in_order() -> None:
    with Pool(2) as pool:
        futures = [pool.submit(pid_and_square, n) for n in range(50)]
        results = [f.result(timeout=60) for f in futures]
    assert [square for _, square in results] == [n * n for n in range(50)]
    assert os.getpid() not in {pid for pid, _ in results}


def test_a_worker_imports_only_what_it_runs() -> None:
    with Pool(1) as pool:
        loaded = pool.submit(modules_loaded).result(timeout=60)
    assert "tests.kit.test_workers" in loaded
    # Not the application: no web framework, no database layer.
    assert not [m for m in loaded if m.startswith(("fastapi", "sqlalchemy", "relaybird.app"))]


def test_an_exception_comes_back_as_itself() -> None:
    with Pool(1) as pool:
        future = pool.submit(boom, "row 7")
        with pytest.raises(ValueError, match="row 7"):
            future.result(timeout=60)
        # The worker goes on serving.
        assert pool.submit(pid_and_square, 3).result(timeout=60)[1] == 9


def test_a_dead_worker_fails_its_call_and_the_queued_ones_never_hang() -> None:
    with Pool(1) as pool:
        dead = pool.submit(die)
        queued = [pool.submit(pid_and_square, n) for n in range(3)]
        with pytest.raises(WorkerDied):
            dead.result(timeout=60)
        for future in queued:
            with pytest.raises(WorkerDied):
                future.result(timeout=60)


def test_an_unpicklable_call_fails_in_the_caller() -> None:
    with Pool(1) as pool, pytest.raises(Exception, match="pickle"):
        pool.submit(pid_and_square, lambda: 1)  # type: ignore[arg-type]
