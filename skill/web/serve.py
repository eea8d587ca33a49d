"""Running the app under gunicorn with our gevent worker (skill/web/worker.py): slow clients cost a greenlet, not a
worker process."""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask


def run_gunicorn(app_factory: Callable[[], Flask], host: str, port: int, workers: int,
                 listener: int | None = None) -> None:
    """`listener`: the file descriptor of a socket already bound to host:port (`hamstring serve` binds it before it
    says where it serves), which gunicorn then takes over instead of binding one itself."""
    from gunicorn.app.base import BaseApplication

    from .worker import HEADER_TIMEOUT_S, WORKER_CONNECTIONS

    class _Server(BaseApplication):
        def load_config(self) -> None:
            bind = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
            if listener is not None:
                bind = f"fd://{listener}"
            settings = {
                "bind": bind, "workers": workers, "worker_class": "skill.web.worker.AlexaWorker",
                "worker_connections": WORKER_CONNECTIONS, "accesslog": None, "loglevel": "warning",
                "timeout": 30, "graceful_timeout": 5,
                # The gevent worker bounds reading each request head by the keep-alive timeout.
                "keepalive": HEADER_TIMEOUT_S,
                # Alexa's requests have one short request line and about ten headers.
                "limit_request_line": 4094, "limit_request_fields": 50, "limit_request_field_size": 8190,
            }
            for key, value in settings.items():
                self.cfg.set(key, value)

        def load(self) -> Flask:
            return app_factory()

    _Server().run()
