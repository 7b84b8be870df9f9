"""A guard around Streamlit's server for a browser that closes its tab mid-message.

Streamlit 1.67's websocket endpoint reads with ``receive_bytes`` and takes any RuntimeError
for a text frame, which it answers by closing the socket. Starlette 1.10 raises
``WebSocketDisconnected`` (a RuntimeError) when the socket is already closed, so when a tab
closes while its session is being written to, the endpoint closes a closed socket, that raises
again, and the server log shows a traceback for a tab that simply went away (2 in 20 tabs
closed at once in ``python -m lossdash.bench sessions``). :class:`ClosedSockets` ends such a
connection quietly: nothing was left to do on it. Every other error passes through.
"""

from __future__ import annotations

import logging

from starlette.websockets import WebSocketDisconnected

log = logging.getLogger(__name__)


class ClosedSockets:
    """ASGI middleware: a websocket connection that fails only because its socket is already
    closed ends with a debug line instead of a traceback."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "websocket":
            await self.app(scope, receive, send)
            return
        try:
            await self.app(scope, receive, send)
        except WebSocketDisconnected as err:
            log.debug("a browser's connection closed while it was used: %s", err)
