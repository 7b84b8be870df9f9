"""A tab that closes mid-message ends quietly; every other error still reaches the server."""

import asyncio
import concurrent.futures

import pytest
from starlette.websockets import WebSocketDisconnected

from lossdash.ui.asgi import ClosedSockets


def call(app, kind):
    async def receive():
        return {"type": "websocket.disconnect"}

    async def send(message):
        pass

    # on a thread of its own: a browser test before this one leaves an event loop running here
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, ClosedSockets(app)({"type": kind}, receive, send)).result()


def closed_twice(scope, receive, send):
    async def run():
        raise WebSocketDisconnected('Cannot call "send" once a close message has been sent.')
    return run()


def test_a_websocket_used_after_it_closed_ends_quietly():
    assert call(closed_twice, "websocket") is None


def test_other_errors_and_http_requests_are_left_alone():
    def broken(scope, receive, send):
        async def run():
            raise ValueError("a real bug")
        return run()

    with pytest.raises(ValueError, match="a real bug"):
        call(broken, "websocket")
    with pytest.raises(WebSocketDisconnected):
        call(closed_twice, "http")


def test_a_normal_connection_runs_through():
    seen = []

    def app(scope, receive, send):
        async def run():
            seen.append((await receive())["type"])
        return run()

    call(app, "websocket")
    assert seen == ["websocket.disconnect"]
