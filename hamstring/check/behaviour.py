"""The rules that run the skill: every request is a real envelope (skill.conversation) through the real skill, as
Alexa would send it for the package's own model: launch, help, stop, cancel, "no", every intent, the example
phrases one-shot, and every golden conversation on a speaker and on a screen. What each response must be is then
held turn by turn (reprompts, size, SSML, APL)."""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

from intents.alexa_samples import Reached, SampleIndex
from intents.matcher import Match, MatchContext, Matcher, default_matcher
from intents.names import BUILTIN_PREFIX, FALLBACK_INTENT
from skill.content import load_dialog
from skill.conversation import Conversation, TurnRecord, intent_request
from skill.reply import MAX_CARD_CHARS, MAX_RESPONSE_BYTES, MAX_SPEECH_CHARS

from .findings import Report
from .package import Package
from .static import Example

Skill = Callable[[dict[str, Any]], dict[str, Any]]
LAUNCH: dict[str, Any] = {"type": "LaunchRequest"}
HELP, STOP, CANCEL, NO = "AMAZON.HelpIntent", "AMAZON.StopIntent", "AMAZON.CancelIntent", "AMAZON.NoIntent"
APL_PREFIX = "Alexa.Presentation.APL"
MAX_SAME_FINDINGS = 5  # a rule broken on every turn says so five times, then how many more
# SSML: the tags Alexa speaks (amazon:* written amazon_* once the prefix is out of the way of the XML parser).
SSML_TAGS = {"speak", "p", "s", "break", "emphasis", "prosody", "say-as", "sub", "phoneme", "w", "audio", "lang",
             "voice", "mark", "amazon_effect", "amazon_emotion", "amazon_domain", "amazon_auto-breaths"}
MAX_BREAK_MS = 10_000
MAX_AUDIO = 5
_BREAK_TIME = re.compile(r"^(\d+(?:\.\d+)?)(ms|s)$")


class _RememberingMatcher(Matcher):
    """The default matcher, remembering its answers: the golden conversations are the same words every run, and
    a match depends only on the words and the context (a test runs the check many times)."""

    _answers: dict[tuple[str, MatchContext], Match] = {}

    def __init__(self) -> None:  # shares the default matcher's state (its index) instead of building its own
        self.__dict__ = default_matcher().__dict__

    def match(self, text: str, context: MatchContext | None = None) -> Match:
        key = (text, context or MatchContext())
        if key not in self._answers:
            self._answers[key] = super().match(text, context)
        return self._answers[key]


@dataclass(frozen=True)
class Turn:
    where: str
    record: TurnRecord
    screen: bool


class Probe:
    """Sessions with the skill, built from the package's model, each turn kept for the per-turn rules."""

    def __init__(self, skill: Skill, model: dict[str, Any], index: SampleIndex, locale: str) -> None:
        self.skill, self.model, self.index, self.locale = skill, model, index, locale
        self.turns: list[Turn] = []
        self._ids = itertools.count()

    def _new_id(self, kind: str) -> str:
        return f"amzn1.echo-api.{kind}.check-{next(self._ids)}"

    def conversation(self, screen: bool = False, locale: str | None = None) -> Conversation:
        return Conversation(matcher=_RememberingMatcher(), skill=self.skill, new_id=self._new_id, screen=screen,
                            locale=locale or self.locale)

    def session(self, label: str, requests: list[dict[str, Any]], *, screen: bool = False,
                locale: str | None = None) -> list[TurnRecord]:
        talk = self.conversation(screen, locale)
        records = []
        for number, request in enumerate(requests, 1):
            record = talk.send(request)
            records.append(record)
            self.keep(f"probe '{label}', turn {number} ({'screen' if screen else 'speaker'})", record, screen)
        return records

    def keep(self, where: str, record: TurnRecord, screen: bool) -> None:
        self.turns.append(Turn(where, record, screen))

    # -- requests for the model's intents ------------------------------------------------------------------------
    def spec(self, name: str) -> dict[str, Any]:
        found: dict[str, Any] = next((i for i in self.model["intents"] if i.get("name") == name), {})
        return found

    def intent(self, name: str, values: dict[str, str] | None = None) -> dict[str, Any]:
        spec = self.spec(name)
        types = {s.get("name"): s.get("type") for s in spec.get("slots") or []}
        slots: dict[str, str] = {}
        resolved: dict[str, str] = {}
        for slot, phrase in (values or {}).items():
            kind = str(types.get(slot, ""))
            slots[slot] = "3" if kind == "AMAZON.NUMBER" and phrase.isalpha() else phrase
            ids = self.index.phrases.get(kind, {}).get(phrase)
            if ids:
                resolved[slot] = ids[0]
        return intent_request(Match(name, slots, resolved), {k: str(v) for k, v in types.items()})

    def reached(self, reached: Reached) -> dict[str, Any]:
        return self.intent(reached.sample.intent, reached.values)

    def sample_request(self, name: str) -> dict[str, Any]:
        """The intent as Alexa sends it for its first sample, slots filled with their types' first phrases."""
        spec = self.spec(name)
        for sample in spec.get("samples") or []:
            found = self.index.find(_first_fill(sample, spec, self.index))
            if found is not None and found.sample.intent == name:
                return self.reached(found)
        return self.intent(name)

    def custom_intents(self) -> list[str]:
        return [i["name"] for i in self.model["intents"] if not str(i.get("name")).startswith(BUILTIN_PREFIX)]

    def intent_names(self) -> list[str]:
        return [i["name"] for i in self.model["intents"] if isinstance(i.get("name"), str)]


def _first_fill(sample: str, spec: dict[str, Any], index: SampleIndex) -> str:
    types = {s.get("name"): s.get("type") for s in spec.get("slots") or []}

    def fill(match: re.Match[str]) -> str:
        kind = str(types.get(match.group(1), ""))
        phrases = list(index.phrases.get(kind, {}))
        return phrases[0] if phrases else ("three" if kind == "AMAZON.NUMBER" else match.group(0))

    return re.sub(r"\{([^}]+)\}", fill, sample)


# -- what a reply is ----------------------------------------------------------------------------------------------
def _variants(*keys: str) -> tuple[str, ...]:
    variants = load_dialog().variants
    return tuple(v.split("{")[0].strip().lower() for key in keys for v in variants.get(key, []) if v.split("{")[0])


def says_any(record: TurnRecord, variants: Iterable[str]) -> bool:
    speech = record.speech.lower()
    return any(v and v in speech for v in variants)


def asks(record: TurnRecord) -> bool:
    return record.speech.rstrip().endswith("?")


class Replies:
    """The skill's own fallback, error and welcome phrasings, to tell such a reply from an answer."""

    def __init__(self) -> None:
        self.fallback = _variants("fallback")
        self.error = _variants("error")
        self.welcome = _variants("welcome", "welcome_back")

    def failure(self, record: TurnRecord, fallback_ok: bool = False) -> str | None:
        if not record.speech.strip():
            return "no speech"
        if says_any(record, self.error):
            return f"the error reply ({record.speech[:60]!r})"
        if not fallback_ok and says_any(record, self.fallback):
            return f"the fallback reply ({record.speech[:60]!r})"
        return None


# -- the behavioural rules ----------------------------------------------------------------------------------------
def check_builtins_answered(probe: Probe, replies: Replies, report: Report) -> None:
    names = probe.intent_names()
    for name in ("AMAZON.CancelIntent", "AMAZON.HelpIntent", "AMAZON.StopIntent", "AMAZON.NavigateHomeIntent",
                 FALLBACK_INTENT):
        if name not in names:
            continue  # check_builtins_present reports it
        for label, requests in ((f"{name} one-shot", [probe.intent(name)]),
                                (f"{name} after launch", [LAUNCH, probe.intent(name)])):
            problem = replies.failure(probe.session(label, requests)[-1], fallback_ok=name == FALLBACK_INTENT)
            if problem:
                report.add("builtin-intents", label, f"answered with {problem}")


def check_intents_answered(probe: Probe, replies: Replies, report: Report) -> None:
    for name in probe.intent_names():
        if name == FALLBACK_INTENT:
            continue
        label = f"{name} after launch"
        problem = replies.failure(probe.session(label, [LAUNCH, probe.sample_request(name)])[-1])
        if problem:
            report.add("intents-answered", label, f"answered with {problem}: no handler answers this intent")


def check_launch(probe: Probe, locales: Iterable[str], report: Report) -> None:
    for locale in locales:
        label = f"launch ({locale})"
        (record,) = probe.session(label, [LAUNCH], locale=locale)
        if record.end_session or not record.reprompt or not asks(record):
            report.add("launch-prompt", label, "must end with a question, keep the session open and reprompt")


def check_help(probe: Probe, report: Report) -> None:
    customs = probe.custom_intents()
    contexts = [("help one-shot", []), ("help after launch", [LAUNCH])]
    if customs:
        contexts.append((f"help after {customs[0]}", [probe.sample_request(customs[0])]))
    for label, before in contexts:
        record = probe.session(label, [*before, probe.intent(HELP)])[-1]
        if not asks(record):
            report.add("help-prompt", label, f"does not end with a question: {record.speech[-60:]!r}")
        if record.end_session or not record.reprompt:
            report.add("help-prompt", label, "must keep the session open with a reprompt")


def check_stop_cancel_no(probe: Probe, replies: Replies, report: Report) -> None:
    contexts = [("one-shot", []), ("after launch", [LAUNCH])]
    contexts += [(f"after {name}", [probe.sample_request(name)]) for name in probe.custom_intents()]
    for word in (STOP, CANCEL):
        for context, before in contexts:
            label = f"{word} {context}"
            record = probe.session(label, [*before, probe.intent(word)])[-1]
            if not record.end_session or record.reprompt:
                report.add("stop-cancel-no", label, "must end the session, with no reprompt")
    for context, before in [("after launch", [LAUNCH]), ("after help", [probe.intent(HELP)]), *contexts[2:]]:
        label = f"{NO} {context}"
        problem = replies.failure(probe.session(label, [*before, probe.intent(NO)])[-1])
        if problem:
            report.add("stop-cancel-no", label, f"answered with {problem}")


def check_examples(probe: Probe, replies: Replies, examples: list[Example], report: Report) -> None:
    for example in examples:
        label = f"example phrase {example.locale} #{example.number} '{example.phrase}' one-shot"
        if example.launch or example.reached is None:
            probe.session(label, [LAUNCH], locale=example.locale)
            continue
        (record,) = probe.session(label, [probe.reached(example.reached)], locale=example.locale)
        problem = replies.failure(record)
        if problem is None and says_any(record, replies.welcome):
            problem = "the welcome, not an answer"
        if problem:
            report.add("example-answers", label, f"{example.reached.sample.intent} answered with {problem}")


def run_conversations(probe: Probe, path: Path, report: Report) -> None:
    """Every golden conversation, on its device and (if a speaker one) on a screen too: traffic for the per-turn
    rules (their own expectations are the tests')."""
    import yaml

    try:
        conversations = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        report.warn("response-size", str(path), "golden conversations not readable: only the probes were checked",
                    fix="--conversations FILE")
        return
    for conversation in conversations if isinstance(conversations, list) else []:
        if not isinstance(conversation, dict) or not isinstance(conversation.get("turns"), list):
            continue
        devices = [True] if conversation.get("device") == "screen" else [False, True]
        for screen in devices:
            _run_conversation(probe, conversation, screen)


def _run_conversation(probe: Probe, conversation: dict[str, Any], screen: bool) -> None:
    talk = probe.conversation(screen)
    for number, turn in enumerate(conversation["turns"], 1):
        if not isinstance(turn, dict):
            continue
        if turn.get("new_session") or turn.get("hours_later"):
            talk.close()
        if "touch" in turn:
            if not screen or not talk.open:
                continue
            record = talk.touch(str(turn["touch"]))
        elif isinstance(turn.get("say"), str):
            record = talk.say(turn["say"])
        else:
            continue
        device = "screen" if screen else "speaker"
        probe.keep(f"conversation '{conversation.get('name')}', turn {number} ({device})", record, screen)
    closed = talk.close()
    if closed is not None:
        probe.keep(f"conversation '{conversation.get('name')}', SessionEndedRequest", closed, screen)


# -- per-turn rules -----------------------------------------------------------------------------------------------
class Capped:
    """Adds a rule's findings, five of a kind at most, then one line saying how many more."""

    def __init__(self, report: Report) -> None:
        self.report = report
        self.counts: dict[tuple[str, str], int] = {}

    def add(self, rule: str, kind: str, where: str, message: str) -> None:
        key = (rule, kind)
        self.counts[key] = self.counts.get(key, 0) + 1
        if self.counts[key] <= MAX_SAME_FINDINGS:
            self.report.add(rule, where, message)

    def close(self) -> None:
        for (rule, kind), count in self.counts.items():
            if count > MAX_SAME_FINDINGS:
                self.report.add(rule, f"{count - MAX_SAME_FINDINGS} more turns", f"{kind}, as above")


def check_turns(turns: list[Turn], package: Package, report: Report) -> None:
    capped = Capped(report)
    apl_sent = False
    for turn in turns:
        _reprompt_rules(turn, capped)
        _size_rules(turn, capped)
        for field, ssml in _speeches(turn.record.response):
            problem = ssml_problem(ssml)
            if problem:
                capped.add("ssml", "invalid SSML", f"{turn.where} {field}", f"invalid SSML: {problem}")
        apl = [d for d in turn.record.directives if str(d.get("type", "")).startswith(APL_PREFIX)]
        if apl and not turn.screen:
            capped.add("apl-interface", "APL to a speaker", turn.where,
                       "an APL directive to a device that does not declare APL")
        apl_sent = apl_sent or bool(apl)
    capped.close()
    declared = package.apl_interface() is not None
    if apl_sent and not declared:
        report.add("apl-interface", "skill.json: apis.custom.interfaces",
                   "the skill sends APL to screens, but ALEXA_PRESENTATION_APL is not declared: no device will "
                   "report APL support, so the screen never appears")
    elif declared and not apl_sent:
        report.warn("apl-interface", "skill.json: apis.custom.interfaces",
                    "ALEXA_PRESENTATION_APL is declared but no probe or conversation got an APL document")


def _reprompt_rules(turn: Turn, capped: Capped) -> None:
    record, body = turn.record, turn.record.response.get("response") or {}
    if record.request["request"]["type"] == "SessionEndedRequest":
        if body.get("outputSpeech") or body.get("reprompt"):
            capped.add("reprompts", "speech for SessionEndedRequest", turn.where,
                       "speech in answer to a SessionEndedRequest: Alexa refuses it")
        return
    if body.get("shouldEndSession") is False and not record.reprompt:
        capped.add("reprompts", "open without a reprompt", turn.where, "session left open without a reprompt")
    if body.get("shouldEndSession") is True:
        if asks(record):
            capped.add("reprompts", "closes on a question", turn.where,
                       f"closes the session on a question: {record.speech[-60:]!r}")
        if record.reprompt:
            capped.add("reprompts", "closes with a reprompt", turn.where,
                       "a reprompt in a response that closes the session")


def _size_rules(turn: Turn, capped: Capped) -> None:
    response = turn.record.response
    size = len(json.dumps(response, ensure_ascii=False, separators=(",", ":")).encode("utf-8"))
    if size > MAX_RESPONSE_BYTES:
        capped.add("response-size", "response too big", turn.where,
                   f"response of {size} bytes: over {MAX_RESPONSE_BYTES}")
    for field, ssml in _speeches(response):
        if len(ssml) > MAX_SPEECH_CHARS:
            capped.add("response-size", "speech too long", f"{turn.where} {field}",
                       f"{len(ssml)} characters: over {MAX_SPEECH_CHARS}")
    card = (response.get("response") or {}).get("card") or {}
    card_chars = sum(len(str(card.get(k) or "")) for k in ("title", "content", "text"))
    if card_chars > MAX_CARD_CHARS:
        capped.add("response-size", "card too long", f"{turn.where} card",
                   f"{card_chars} characters: over {MAX_CARD_CHARS}")


def _speeches(response: dict[str, Any]) -> list[tuple[str, str]]:
    body = response.get("response") or {}
    found = []
    for field, speech in (("outputSpeech", body.get("outputSpeech")),
                          ("reprompt", (body.get("reprompt") or {}).get("outputSpeech"))):
        if isinstance(speech, dict) and speech.get("type") == "SSML":
            found.append((field, str(speech.get("ssml") or "")))
    return found


def ssml_problem(ssml: str) -> str | None:
    """Why Alexa would refuse this SSML, or None."""
    if not ssml.startswith("<speak>") or not ssml.endswith("</speak>"):
        return "not one <speak> element"
    try:
        root = ElementTree.fromstring(re.sub(r"<(/?)amazon:", r"<\1amazon_", ssml))
    except ElementTree.ParseError as error:
        return f"not well-formed ({str(error).split(':')[0]})"
    audio = 0
    for element in root.iter():
        if element.tag not in SSML_TAGS:
            return f"<{element.tag}> is not an SSML tag Alexa speaks"
        if element.tag == "speak" and element is not root:
            return "<speak> inside <speak>"
        if element.tag == "break" and "time" in element.attrib:
            time = _BREAK_TIME.match(element.attrib["time"])
            if time is None:
                return f"break time {element.attrib['time'][:12]!r} is not like 300ms or 2s"
            if float(time[1]) * (1 if time[2] == "ms" else 1000) > MAX_BREAK_MS:
                return f"a break over {MAX_BREAK_MS // 1000} s"
        audio += element.tag == "audio"
    return f"over {MAX_AUDIO} audio clips" if audio > MAX_AUDIO else None
