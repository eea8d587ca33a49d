"""The ASK CLI's `ask dialog` files, read and written as the ASK CLI does, so a conversation travels between its
tools and ours.

Replay file (`ask dialog --replay FILE`; written by the REPL's `.record FILE [--append-quit]`):
    {"skillId": "amzn1.ask.skill...", "locale": "en-US", "type": "text", "userInput": ["open ...", "next", ".quit"]}
The ASK CLI writes it as one line of JSON. Each `userInput` entry is trimmed and must not be blank. An entry that
starts with "." is a REPL command, not an utterance: `.quit` ends the replay (without it the ASK CLI switches to its
interactive prompt), `.record FILE [--append-quit]` writes the current session's utterances as a replay file, adding
`.quit` to them with `--append-quit`.

Skill-io file (`ask dialog --save-skill-io FILE`), two-space indented JSON written when the dialog quits:
    {"invocations": [{"request": {"utterance": "...", "newSession": true},
                      "response": {"body": <the simulation result: id, status, result>}}]}
where the simulation result is SMAPI's (v2 simulations): `result.alexaExecutionInfo` holds Alexa's spoken captions
(`alexaResponses[].content.caption`) and the intents it considered, and `result.skillExecutionInfo.invocations[]`
the skill's request and response envelopes (`invocationRequest.body`, `invocationResponse.body`) and its time.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from typing import Any

REPLAY_TYPES = ("text",)  # the only type the ASK CLI writes, and the only one it simulates
QUIT = ".quit"
RECORD = ".record"
APPEND_QUIT = "--append-quit"
MAX_REPLAY_BYTES = 256 * 1024
MAX_USER_INPUTS = 1000
# Where a skill-io invocation says the request went: a real simulation names the Lambda ARN or HTTPS endpoint.
LOCAL_ENDPOINT = "local: hamstring (no network)"


class ReplayError(ValueError):
    """A replay file we cannot play: the message is one line, naming what is wrong and never quoting the file."""


@dataclass(frozen=True)
class Command:
    """One `userInput` entry: an utterance to say, or a REPL command (`.quit`, `.record`)."""

    kind: str  # "say", "quit" or "record"
    text: str = ""  # the utterance, for "say"
    path: str = ""  # the file, for "record"
    append_quit: bool = False  # for "record"


@dataclass(frozen=True)
class ReplayFile:
    skill_id: str
    locale: str
    user_input: tuple[str, ...]
    type: str = "text"

    def commands(self) -> list[Command]:
        """The entries in order, up to and including the first `.quit` (the REPL closes there)."""
        found: list[Command] = []
        for number, entry in enumerate(self.user_input, 1):
            command = parse_command(entry, number)
            found.append(command)
            if command.kind == "quit":
                break
        return found

    @property
    def utterances(self) -> list[str]:
        return [c.text for c in self.commands() if c.kind == "say"]

    @property
    def quits(self) -> bool:
        """True when the replay ends with `.quit`; without it `ask dialog` carries on interactively."""
        return any(c.kind == "quit" for c in self.commands())

    def to_json(self) -> dict[str, Any]:
        return {"skillId": self.skill_id, "locale": self.locale, "type": self.type, "userInput": list(self.user_input)}

    def dumps(self) -> str:
        """As the ASK CLI's `.record` writes it (fs-extra's outputJSONSync: compact JSON and a newline)."""
        return json.dumps(self.to_json(), ensure_ascii=False, separators=(",", ":")) + "\n"


def parse_command(entry: str, number: int = 0) -> Command:
    """A `userInput` entry (already trimmed) as a command; raises ReplayError for a REPL command we do not know."""
    if not entry.startswith("."):
        return Command("say", text=entry)
    name, _, rest = entry.partition(" ")
    where = f"userInput {number}" if number else "the line"
    if name == QUIT and not rest.strip():
        return Command("quit")
    if name == RECORD:
        arguments = rest.split()
        if not 1 <= len(arguments) <= 2 or (len(arguments) == 2 and arguments[1] != APPEND_QUIT):
            raise ReplayError(f'{where}: use ".record <fileName>" or ".record <fileName> {APPEND_QUIT}"')
        return Command("record", path=arguments[0], append_quit=len(arguments) == 2)
    raise ReplayError(f"{where}: unknown REPL command (the ASK CLI's dialog knows {RECORD} and {QUIT})")


def parse_replay(raw: bytes) -> ReplayFile:
    """An ASK CLI replay file's bytes; raises ReplayError with a one-line reason."""
    if len(raw) > MAX_REPLAY_BYTES:
        raise ReplayError(f"over {MAX_REPLAY_BYTES // 1024} KiB: a replay file is a few lines of JSON")
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise ReplayError("not JSON: a replay file is the JSON object `ask dialog` records") from None
    if not isinstance(data, dict):
        raise ReplayError("not a JSON object with skillId, locale, type and userInput")
    skill_id, locale, kind, user_input = (data.get(k) for k in ("skillId", "locale", "type", "userInput"))
    # The ASK CLI's own checks, in its words: it refuses a file without these.
    if not isinstance(skill_id, str) or not skill_id.strip():
        raise ReplayError("Replay file must contain skillId")
    if not isinstance(locale, str) or not locale.strip():
        raise ReplayError("Replay file must contain locale")
    if kind is None:
        kind = "text"  # the ASK CLI never reads `type`; a hand-written file may leave it out
    if kind not in REPLAY_TYPES:
        raise ReplayError(f"unknown type (known: {', '.join(REPLAY_TYPES)})")
    if not isinstance(user_input, list) or not user_input:
        raise ReplayError("userInput must be a list of utterances")
    if len(user_input) > MAX_USER_INPUTS:
        raise ReplayError(f"userInput has over {MAX_USER_INPUTS} entries")
    entries: list[str] = []
    for number, entry in enumerate(user_input, 1):
        if not isinstance(entry, str) or not entry.strip():
            raise ReplayError("Replay file's userInput cannot contain empty string." if isinstance(entry, str)
                              else f"userInput {number} is not text")
        entries.append(entry.strip())
    replay = ReplayFile(skill_id.strip(), locale.strip(), tuple(entries), kind)
    replay.commands()  # an unknown REPL command is a bad file, found before anything is said
    return replay


def recorded(skill_id: str, locale: str, utterances: list[str], append_quit: bool = False) -> ReplayFile:
    """What `.record` writes: the session's utterances, and `.quit` after them with `--append-quit`."""
    return ReplayFile(skill_id, locale, tuple(utterances) + ((QUIT,) if append_quit else ()))


@dataclass
class SkillIo:
    """The `--save-skill-io` file of a dialog: each utterance, and the simulation result Alexa would return."""

    invocations: list[dict[str, Any]] = field(default_factory=list)

    def add(self, utterance: str, new_session: bool, request: dict[str, Any], response: dict[str, Any],
            skill_ms: float = 0.0) -> None:
        self.invocations.append({
            "request": {"utterance": utterance, "newSession": new_session},
            "response": {"body": simulation_result(request, response, skill_ms)},
        })

    def to_json(self) -> dict[str, Any]:
        return {"invocations": self.invocations}

    def dumps(self) -> str:
        """As the ASK CLI writes it (its jsonView: JSON.stringify with a two-space indent, no final newline)."""
        return json.dumps(self.to_json(), ensure_ascii=False, indent=2)


def simulation_result(request: dict[str, Any], response: dict[str, Any], skill_ms: float = 0.0) -> dict[str, Any]:
    """SMAPI's simulation result for one utterance that reached the skill: what Alexa said (the response's speech
    as a caption), the intent it chose, and the skill's request and response."""
    from .reply import ssml_to_text

    body = response.get("response") or {}
    speech = body.get("outputSpeech") or {}
    caption = ssml_to_text(speech.get("ssml") or speech.get("text") or "")
    intent = request.get("request", {}).get("intent")
    considered = [{"name": intent.get("name"), "confirmationStatus": intent.get("confirmationStatus", "NONE"),
                   "slots": intent.get("slots") or {}}] if isinstance(intent, dict) else []
    return {
        "id": str(uuid.uuid4()),
        "status": "SUCCESSFUL",
        "result": {
            "alexaExecutionInfo": {
                "alexaResponses": [{"type": "Speech", "content": {"caption": caption}}] if caption else [],
                "consideredIntents": considered,
            },
            "skillExecutionInfo": {
                "invocations": [{
                    "invocationRequest": {"endpoint": LOCAL_ENDPOINT, "body": request},
                    "invocationResponse": {"body": response},
                    "metrics": {"skillExecutionTimeInMilliseconds": round(skill_ms)},
                }],
            },
        },
    }


__all__ = ["Command", "ReplayError", "ReplayFile", "SkillIo", "parse_command", "parse_replay", "recorded",
           "simulation_result"]
