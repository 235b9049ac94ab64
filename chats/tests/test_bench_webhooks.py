"""The webhook bench's open-loop arithmetic: when each delivery is due, and latency counted from then."""

from __future__ import annotations

import pytest

from chats.management.commands.bench_webhooks import latency_summary, open_loop_timings, send_offsets


def test_deliveries_are_due_evenly_spaced_at_the_rate():
    assert send_offsets(5, 500) == pytest.approx([0, 0.002, 0.004, 0.006, 0.008])
    assert send_offsets(3000, 500)[-1] == pytest.approx(5.998)  # 3,000 at 500/s take six seconds
    assert send_offsets(0, 500) == []
    with pytest.raises(ValueError, match="positive"):
        send_offsets(10, 0)


def test_a_delivery_that_waited_for_a_free_connection_has_the_wait_in_its_latency():
    # Due at 10 ms, sent at 30 ms (every connection was busy), answered at 35 ms.
    latency, service, lag = open_loop_timings(due=0.010, sent=0.030, answered=0.035)
    assert (latency, service, lag) == pytest.approx((0.025, 0.005, 0.020))
    # Sent on time: the latency is the service time.
    assert open_loop_timings(due=1.0, sent=1.0, answered=1.004) == pytest.approx((0.004, 0.004, 0.0))


def test_the_summary_reports_percentiles_and_max_in_milliseconds():
    values = [n / 1000 for n in range(1, 101)]  # 1 ms .. 100 ms
    assert latency_summary(values) == {"p50": 51.0, "p95": 95.0, "p99": 99.0, "max": 100.0}
    assert latency_summary([]) == {"p50": None, "p95": None, "p99": None, "max": None}


def test_the_generators_connection_reads_answers_split_anywhere():
    """The open-loop generator's bare protocol reads each answer once complete, however TCP splits it, and
    keeps what follows for the next one."""
    import asyncio
    from concurrent.futures import ThreadPoolExecutor

    from chats.management.commands.bench_webhooks import _Connection

    async def play():
        answers = []
        connection = _Connection(lambda conn, status: answers.append(status))
        first = b'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 11\r\n\r\n{"ok":true}'
        second = b"HTTP/1.1 403 Forbidden\r\ncontent-length: 0\r\n\r\n"
        stream = first + second
        for cut in (5, 40, 78, 80):
            connection.data_received(stream[:cut])
            stream = stream[cut:]
        connection.data_received(stream)
        return answers, connection.buffer

    # In a thread of its own: in a whole-suite run, Playwright's loop is running on this one.
    with ThreadPoolExecutor(max_workers=1) as thread:
        assert thread.submit(asyncio.run, play()).result() == ([200, 403], b"")
