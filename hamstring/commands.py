"""`hamstring ask`, `simulate` and `assets`: the light commands, on the core install (`chat` is in chat.py)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from .errors import CliError
from .textio import checked_text, print_turn, read_bounded

if TYPE_CHECKING:
    from skill.conversation import Conversation


def _conversation(args: argparse.Namespace) -> Conversation:
    """A conversation through the skill with the store --state/--no-state chose, from the device --device names."""
    from skill.conversation import Conversation

    from .state_flags import local_skill

    try:
        local = local_skill(args)
    except ValueError as error:
        raise CliError(str(error)) from None
    return Conversation(skill=local.invoke, store=local.store, screen=args.device == "screen")


def cmd_ask(args: argparse.Namespace) -> int:

    text = checked_text(" ".join(args.text), "the question").strip()
    if not text:
        raise CliError("nothing to ask: give a question, e.g. hamstring ask what causes hamstring cramps", 2)
    print_turn(_conversation(args).say(text), args.json, sys.stdout)
    return 0


def cmd_simulate(args: argparse.Namespace) -> int:
    from skill.envelope import MAX_BODY_BYTES, EnvelopeError, parse_envelope
    from skill.invoke import invoke

    source = args.file
    # Bounded like the web service's body: `simulate /dev/zero` must end.
    raw = sys.stdin.buffer.read(MAX_BODY_BYTES + 1) if source == "-" else read_bounded(source, MAX_BODY_BYTES)
    if len(raw) > MAX_BODY_BYTES:
        raise CliError(f"request over {MAX_BODY_BYTES} bytes (the limit Alexa's requests stay under)")
    try:
        response = invoke(parse_envelope(raw))
    except EnvelopeError as error:
        raise CliError(str(error)) from None
    sys.stdout.write(json.dumps(response, ensure_ascii=False, indent=2) + "\n")
    return 0


def cmd_assets(args: argparse.Namespace) -> int:
    from intents import assets

    root = Path(args.root) if args.root else assets.project_root()
    if args.action == "build":
        try:
            changed = assets.build(root)
        except ValueError as error:
            raise CliError(str(error)) from None
        print(f"{len(changed)} file(s) written" + "".join(f"\n  {p}" for p in changed))
        return 0
    problems = assets.check(root)
    if problems:
        extra = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        raise CliError(f"assets out of date: {problems[0]}{extra}")
    print("assets up to date")
    return 0
