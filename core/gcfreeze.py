"""Keeps the garbage collector's full passes short in long-running processes (web servers, workers).

A full pass walks every object the collector tracks. After start-up a process holds some 165,000 of them
(Django, the apps, the URL configurations), all of which live as long as the process, and on this
project's 2-core machine walking them took 80-105 ms: a pause every few seconds under load, which was the
webhook's p99 latency. `gc.freeze()` moves what exists at that moment into a permanent generation the
collector no longer walks; objects made afterwards are collected as before (Python's `gc` documentation
recommends it after start-up, also to keep forked workers' memory shared)."""

from __future__ import annotations

import gc


def freeze_after_startup(*urlconfs: str) -> int:
    """Loads the URL configurations (built lazily on the first request otherwise), collects what start-up
    left, and freezes the rest. Returns the number of frozen objects."""
    from django.urls import get_resolver

    for urlconf in urlconfs:
        get_resolver(urlconf).reverse_dict  # noqa: B018 - imports the views and builds the lookups
    gc.collect()
    gc.freeze()
    return gc.get_freeze_count()
