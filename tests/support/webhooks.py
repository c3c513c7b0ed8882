"""A merchant's webhook endpoint on loopback, recording exactly what arrived."""

from __future__ import annotations

import json
import threading

from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response


class WebhookReceiver:
    """Records each request's headers and raw body; answers 200."""

    def __init__(self, path: str = "/webhooks") -> None:
        self.calls: list[tuple[dict[str, str], bytes]] = []
        self._lock = threading.Lock()
        self.server = make_server("127.0.0.1", 0, self, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}{path}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __call__(self, environ, start_response):
        request = Request(environ)
        headers = {k.lower(): v for k, v in request.headers.items()}
        with self._lock:
            self.calls.append((headers, request.get_data()))
        return Response("ok")(environ, start_response)

    def start(self) -> WebhookReceiver:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def events(self) -> list[dict]:
        return [json.loads(body) for _, body in self.calls]

    def types(self) -> list[str]:
        return [event["type"] for event in self.events()]
