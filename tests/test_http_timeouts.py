"""Timeout messages state the whole wait, retries included (issue 10 point 8).

A real TCP server on 127.0.0.1 that accepts and never answers; the harvesters' HTTP client
asks it with a short read timeout and two retries.
"""
from __future__ import annotations

import re

import pytest

from harvesters.base import SourceUnreachable
from harvesters.http import HttpClient
from ops_servers import HangingServer, poll


@pytest.fixture
def hanging():
    server = HangingServer()
    yield server
    server.close()


def test_timeout_message_gives_the_total_wait_with_retries(hanging):
    client = HttpClient(timeout=0.3, retries=2)
    with pytest.raises(SourceUnreachable) as caught:
        client.get(hanging.url())
    message = str(caught.value)
    found = re.search(r'no answer; waited ([\d.]+) s in all \(0\.3 s per attempt, 2 retries\)',
                      message)
    assert found, message
    assert float(found.group(1)) >= 3 * 0.3      # three attempts of 0.3 s each, at least
    poll(lambda: hanging.accepted == 3, message='three attempts')


def test_without_retries_the_timeout_is_the_wait(hanging):
    client = HttpClient(timeout=0.3, retries=0)
    with pytest.raises(SourceUnreachable, match=r'no answer within 0\.3 s$'):
        client.get(hanging.url())
