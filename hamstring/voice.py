"""`hamstring voice`: what the command is given is checked before the offline assistant (local_voice.cli) loads its
recognizer, which takes seconds: a bad --input file or state path is one line at once, not after the load."""

from __future__ import annotations

import argparse
from pathlib import Path

from .errors import CliError
from .state_flags import state_choice


def check_inputs(paths: list[str]) -> None:
    """Every --input file read as the assistant will read it (local_voice.audio.read_wav), or a one-line CliError."""
    from local_voice.audio import AudioError, read_wav

    for path in paths:
        if not Path(path).is_file():
            raise CliError(f"cannot read audio {path}: no such file")
        try:
            read_wav(path)
        except AudioError as error:
            raise CliError(str(error)) from None


def cmd_voice(args: argparse.Namespace) -> int:
    check_inputs(args.input or [])
    try:
        state_choice(args)
    except ValueError as error:  # a state path that cannot be a file, a store the environment describes badly
        raise CliError(str(error)) from None
    from local_voice.cli import cmd_voice as run_voice

    return run_voice(args)
