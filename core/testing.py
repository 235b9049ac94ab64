"""Helpers for tests that need real concurrency against PostgreSQL.

pytest-django wraps each test in a transaction on the test thread's connection. Work done in another
thread uses that thread's own connection, commits for real, and is seen by the test (READ COMMITTED):
that is how races between separate connections are reproduced. Such work must be undone the same way
(`in_own_connection`), because the test's rollback does not reach it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from django.db import connections
from django_tenants.utils import tenant_context

T = TypeVar("T")


def in_own_connection(fn: Callable[[], T], *, tenant=None) -> T:
    """Runs `fn` in a new thread on its own connection (inside `tenant` when given), committed."""

    def run():
        try:
            if tenant is None:
                return fn()
            with tenant_context(tenant):
                return fn()
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(run).result(timeout=60)


def race(fn: Callable[[int], T], *, times: int, tenant=None) -> list[T | BaseException]:
    """Runs `fn(i)` for i in range(times) at the same instant, each in its own thread and connection
    (inside `tenant` when given). Returns each call's result or the exception it raised, in order."""
    barrier = threading.Barrier(times)

    def run(i: int):
        try:
            if tenant is None:
                barrier.wait(timeout=30)
                return fn(i)
            with tenant_context(tenant):
                barrier.wait(timeout=30)
                return fn(i)
        except BaseException as error:
            return error
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=times) as pool:
        return list(pool.map(run, range(times)))
