"""The local cloud's HTTP endpoint: moto's server on loopback, sharing the in-process mock's backends.

Renderer processes download inputs and nothing else from it (through presigned S3 URLs made by the Lambdas),
and a CLI in another process uses it for everything (S3 uploads, StartExecution, DescribeExecution...). It
binds to 127.0.0.1 only.
"""

from __future__ import annotations

import logging

from moto.server import ThreadedMotoServer


class EndpointServer:
    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self._server = ThreadedMotoServer(ip_address=host, port=port, verbose=False)
        self._url: str | None = None

    def start(self) -> str:
        logging.getLogger("werkzeug").setLevel(logging.ERROR)
        self._server.start()
        host, port = self._server.get_host_and_port()
        self._url = f"http://{host}:{port}"
        return self._url

    @property
    def url(self) -> str:
        if self._url is None:
            raise RuntimeError("the endpoint server has not started")
        return self._url

    def stop(self) -> None:
        if self._url is not None:
            self._server.stop()
            self._url = None
