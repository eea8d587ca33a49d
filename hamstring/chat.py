"""`hamstring chat`: a conversation, one utterance a line from stdin, or an ASK CLI replay file (`--replay`), with
the ASK CLI's skill-io file of the session (`--save-skill-io`).

As in `ask dialog`, a line (or replay entry) `.quit` ends the conversation and `.record FILE [--append-quit]` writes
the utterances of the current session as a replay file. A replay without `.quit` carries on with stdin, as the ASK
CLI switches to its interactive prompt.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from .errors import CliError
from .textio import lines, print_turn, read_bounded

if TYPE_CHECKING:
    from skill.askcli import Command, ReplayFile, SkillIo
    from skill.conversation import Conversation


def read_replay(path: str) -> ReplayFile:
    from skill.askcli import MAX_REPLAY_BYTES, ReplayError, parse_replay

    raw = read_bounded(path, MAX_REPLAY_BYTES, f"the replay file {path}")
    try:
        return parse_replay(raw)
    except ReplayError as error:
        raise CliError(f"replay file {path}: {error}") from None


def _conversation(args: argparse.Namespace, replay: ReplayFile | None) -> Conversation:
    """The skill with the store --state/--no-state chose; a replay's skill id and locale go into its requests."""
    from skill.conversation import LOCAL_APPLICATION_ID, Conversation

    from .state_flags import local_skill

    try:
        local = local_skill(args)
    except ValueError as error:
        raise CliError(str(error)) from None
    conversation = Conversation(skill=local.invoke, store=local.store, screen=args.device == "screen",
                                application_id=replay.skill_id if replay else LOCAL_APPLICATION_ID,
                                locale=replay.locale if replay else "en-US")
    locales = conversation.matcher.language.locales
    if conversation.locale not in locales:
        raise CliError(f"locale {conversation.locale[:16]!r} is not one of the skill's ({', '.join(locales)})")
    return conversation


def _stdin_commands(interactive: bool) -> Iterator[Command]:
    from skill.askcli import ReplayError, parse_command

    for line in _prompted(lines(sys.stdin.buffer), interactive):
        text = line.strip()
        if not text:
            continue
        try:
            yield parse_command(text)
        except ReplayError as error:
            if not interactive:
                raise CliError(f"input: {error}") from None
            sys.stderr.write(f"{error}\n")  # a typo at the prompt is not worth the conversation


def _prompted(source: Iterator[str], interactive: bool) -> Iterator[str]:
    while True:
        if interactive:
            sys.stdout.write("you> ")
            sys.stdout.flush()
        line = next(source, "")
        if not line:
            return
        yield line


def _commands(replay: ReplayFile | None, interactive: bool) -> Iterator[Command]:
    if replay is not None:
        yield from replay.commands()
        if replay.quits:
            return
    yield from _stdin_commands(interactive)


def _write(path: str, text: str, what: str) -> None:
    try:
        Path(path).write_text(text, encoding="utf-8")
    except OSError as error:
        raise CliError(f"cannot write the {what} {path}: {error.strerror}") from None


def cmd_chat(args: argparse.Namespace) -> int:
    from skill.askcli import SkillIo, recorded

    replay = read_replay(args.replay) if args.replay else None
    conversation = _conversation(args, replay)
    interactive = sys.stdin.isatty() and not args.json
    skill_io = SkillIo() if args.save_skill_io else None
    said: list[str] = []  # this session's utterances, what `.record` writes (the ASK CLI forgets them at its end)
    try:
        for command in _commands(replay, interactive):
            if command.kind == "quit":
                break
            if command.kind == "record":
                replay_file = recorded(conversation.application_id, conversation.locale, said, command.append_quit)
                _write(command.path, replay_file.dumps(), "replay file")
                continue
            _turn(conversation, command.text, skill_io, said, args.json, interactive)
    except KeyboardInterrupt:
        sys.stdout.write("\n")
    finally:
        conversation.close()
        if skill_io is not None:
            _write(args.save_skill_io, skill_io.dumps(), "skill-io file")
    return 0


def _turn(conversation: Conversation, utterance: str, skill_io: SkillIo | None, said: list[str], as_json: bool,
          interactive: bool) -> None:
    new_session = not conversation.open
    record = conversation.say(utterance)
    said.append(utterance)
    if record.end_session:
        said.clear()
    if skill_io is not None:
        skill_io.add(utterance, new_session, record.request, record.response, record.skill_ms)
    if interactive:
        sys.stdout.write("helper> ")
    print_turn(record, as_json, sys.stdout)
