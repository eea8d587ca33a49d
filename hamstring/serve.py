"""`hamstring serve`: the Alexa endpoint over HTTP under gunicorn (extra: server), with the browser simulator and its
spoken turns on an unverified loopback server. This command composes the app: the web package never imports the
voice pipeline; the spoken turns (local_voice/web.py) are handed in here."""

from __future__ import annotations

import argparse
import errno
import logging
import os
import socket

from flask import Flask

from skill.web.app import app_from_environment
from skill.web.edge import host_for_url, is_loopback
from skill.web.serve import run_gunicorn
from skill.web.simulator.turns import VoiceSupport

from .errors import CliError
from .state_flags import state_choice


def spoken_turns(no_verify: bool) -> VoiceSupport | None:
    """The simulator's spoken turns, made in each worker (its recognizer loads there, on first use)."""
    if not no_verify:
        return None
    from local_voice.web import SpokenTurns

    return SpokenTurns()


def cmd_serve(args: argparse.Namespace) -> int:
    if args.no_verify and not is_loopback(args.host):
        raise CliError("--no-verify is only allowed on a loopback host (127.0.0.1, ::1, localhost)", 2)
    if args.workers < 1:
        raise CliError("--workers must be at least 1", 2)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    try:
        choice = state_choice(args)
    except ValueError as error:  # a state path that cannot be a file, a DynamoDB setting that cannot work
        raise CliError(str(error)) from None
    store = choice if choice.kind != "off" else None
    listener = bound_listener(args.host, args.port)  # first: a port in use is the one line said, no banner
    try:  # fail here, once, with one line, not in every worker
        app_from_environment(args.no_verify, store, spoken_turns(args.no_verify))
    except ValueError as error:
        os.close(listener)
        raise CliError(str(error)) from None
    print(f"serving the Alexa endpoint on http://{args.host}:{args.port}/ (verification "
          f"{'off' if args.no_verify else 'on'}, {args.workers} worker(s)); health: /health; {choice.reason}"
          + (f"\nsimulator page: http://{host_for_url(args.host)}:{args.port}/simulator" if args.no_verify else ""),
          flush=True)
    def app() -> Flask:
        return app_from_environment(args.no_verify, store, spoken_turns(args.no_verify))

    run_gunicorn(app, args.host, args.port, args.workers, listener)
    return 0


def bound_listener(host: str, port: int) -> int:
    """A TCP socket bound to host:port, as gunicorn would bind it (SO_REUSEADDR), as a file descriptor for gunicorn
    to take over; or a one-line CliError (a port in use made gunicorn log 11 errors over 5 s, after our banner)."""
    try:
        family, kind, protocol, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM,
                                                                flags=socket.AI_PASSIVE)[0]
    except socket.gaierror:
        raise CliError(f"cannot listen on {host}: not a host name or address of this machine") from None
    sock = socket.socket(family, kind, protocol)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
    except OSError as error:
        sock.close()
        if error.errno == errno.EADDRINUSE:
            raise CliError(f"port {port} on {host} is in use (another server listens there); choose another with "
                           f"--port") from None
        raise CliError(f"cannot listen on {host_for_url(host)}:{port}: {error.strerror or error}") from None
    return sock.detach()
