"""`hamstring` command line: ask, chat, simulate, assets (and serve, voice, model from their modules).

Errors are one line on stderr and a non-zero exit: 2 for a wrong command line, 1 for bad input or a failed check.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Callable, Sequence, TextIO

from .conversation import Conversation, TurnRecord
from .invoke import EnvelopeError, invoke, parse_envelope

PROG = "hamstring"


class CliError(Exception):
    """A user-facing failure: printed as one line, exit code attached."""

    def __init__(self, message: str, code: int = 1) -> None:
        super().__init__(message)
        self.code = code


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # argparse prints usage plus the error; we keep it to one line
        raise CliError(f"{message} (see `{self.prog} --help`)", 2)


def _print_turn(record: TurnRecord, as_json: bool, out: TextIO) -> None:
    if as_json:
        out.write(json.dumps(record.to_json(), ensure_ascii=False) + "\n")
    else:
        out.write(record.speech + "\n")
    out.flush()


def _conversation(args: argparse.Namespace) -> Conversation:
    """A conversation through the skill with the store --state/--no-state chose, from the device --device names."""
    from .frontends import local_skill

    try:
        local = local_skill(args)
    except ValueError as error:
        raise CliError(str(error)) from None
    return Conversation(skill=local.invoke, store=local.store, screen=args.device == "screen")


def cmd_ask(args: argparse.Namespace) -> int:
    text = " ".join(args.text).strip()
    if not text:
        raise CliError("nothing to ask: give a question, e.g. hamstring ask what causes hamstring cramps", 2)
    _print_turn(_conversation(args).say(text), args.json, sys.stdout)
    return 0


def cmd_chat(args: argparse.Namespace) -> int:
    conversation = _conversation(args)
    interactive = sys.stdin.isatty() and not args.json
    try:
        while True:
            if interactive:
                sys.stdout.write("you> ")
                sys.stdout.flush()
            line = sys.stdin.readline()
            if not line:
                break
            utterance = line.strip()
            if not utterance:
                continue
            record = conversation.say(utterance)
            if interactive:
                sys.stdout.write("helper> ")
            _print_turn(record, args.json, sys.stdout)
    except KeyboardInterrupt:
        sys.stdout.write("\n")
    finally:
        conversation.close()
    return 0


def cmd_simulate(args: argparse.Namespace) -> int:
    source = args.file
    try:
        raw = sys.stdin.buffer.read() if source == "-" else Path(source).read_bytes()
    except OSError as error:
        raise CliError(f"cannot read {source}: {error.strerror}") from None
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


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog=PROG, description="Hamstring Cramp Helper: an Alexa skill and offline voice assistant.")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    ask = sub.add_parser("ask", help="ask one question, as a new session")
    ask.add_argument("text", nargs="*", help="the question")
    ask.add_argument("--json", action="store_true", help="print the turn as one JSON object")
    ask.set_defaults(func=cmd_ask)

    chat = sub.add_parser("chat", help="a conversation: one utterance per line on stdin, one Alexa session")
    chat.add_argument("--json", action="store_true", help="print one JSON object per turn")
    chat.set_defaults(func=cmd_chat)

    from .frontends import add_state_arguments

    for command in (ask, chat):
        command.add_argument("--device", choices=["speaker", "screen"], default="speaker",
                             help="pretend a device: speaker (no screen) or screen (an Echo Show: APL documents)")
        add_state_arguments(command)

    simulate = sub.add_parser("simulate", help="run a raw Alexa request envelope; print the response envelope")
    simulate.add_argument("file", nargs="?", default="-", help="JSON file, or - for stdin (default)")
    simulate.set_defaults(func=cmd_simulate)

    assets = sub.add_parser("assets", help="generate or check the files made from the language source")
    assets.add_argument("action", choices=["build", "check"])
    assets.add_argument("--root", help="project root (default: this checkout)")
    assets.set_defaults(func=cmd_assets)

    for register in _extensions():
        register(sub)
    return parser


def _extensions() -> list[Callable[[argparse._SubParsersAction], None]]:
    """Commands defined beside the code they drive, so this module stays small."""
    registrars: list[Callable[[argparse._SubParsersAction], None]] = []
    for module_name in ("skill.server", "local_voice.cli"):
        try:
            module = __import__(module_name, fromlist=["register"])
        except ImportError as error:
            if error.name != module_name:
                raise
            continue
        registrars.append(module.register)
    return registrars


def main(argv: Sequence[str] | None = None) -> int:
    try:
        args = build_parser().parse_args(argv)
        return args.func(args)
    except CliError as error:
        sys.stderr.write(f"{PROG}: error: {error}\n")
        return error.code
    except KeyboardInterrupt:
        sys.stderr.write(f"{PROG}: interrupted\n")
        return 130
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    # Run the canonical module, not this __main__ copy, so exception classes match across modules.
    from skill.cli import main as canonical_main

    sys.exit(canonical_main())
