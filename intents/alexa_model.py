"""Alexa interaction models generated from the language source, and a lint of Alexa's rules for them.

The templates of two intents may overlap once slots are filled in ("can i {action}" with "drink iced water", and
"can i drink {remedy}" with "iced water"): the offline matcher weighs such cases itself, but Alexa would pick either
intent. So the generated model drops the slot phrases behind each such collision from the type of the more general
template (intents/alexa_samples.py); the skill still resolves those words from the runtime language, to the same
answer. The lint refuses any collision left.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass

from .alexa_samples import build_index, make_disjoint
from .language import Language
from .names import BUILTIN_PREFIX, FALLBACK_INTENT, RED_FLAG_INTENT
from .semantic import RED_FLAG_PREFIX, load_exemplars

# Alexa recommends many samples per intent; past a few hundred they add build time, not accuracy.
SAMPLES_PER_INTENT = 300
SAMPLES_PER_TEMPLATE = 60
MIN_CUSTOM_SAMPLES = 20
MAX_SAMPLE_CHARS = 200
# Synonyms per slot value: Alexa's model generalizes from a few dozen; thousands only slow the build.
SYNONYMS_PER_VALUE = 60
MAX_VALUE_CHARS = 140
# Alexa certification: every custom skill must handle these.
REQUIRED_BUILTINS = (
    "AMAZON.CancelIntent",
    "AMAZON.HelpIntent",
    "AMAZON.StopIntent",
    "AMAZON.NavigateHomeIntent",
    FALLBACK_INTENT,
)
_SAMPLE_CHARS = re.compile(r"^[a-z' .]*(\{[a-z_]+\}[a-z' .]*)*$")
_SLOT_REF = re.compile(r"\{([^}]*)\}")
_LAUNCH_WORDS = {"alexa", "amazon", "echo", "skill", "app", "launch", "ask", "tell", "open", "start", "begin"}


def alexa_samples(language: Language, intent: str) -> list[str]:
    """Sample utterances for one custom intent: its canonical phrasings, then every template's, slots as `{slot}`."""
    samples: list[str] = list(language.intents[intent].canonical)
    for index, sentence in enumerate(language.sentences(intent)):
        samples.extend(
            language.expansions(sentence.expression, keep_slots=True, limit=SAMPLES_PER_TEMPLATE, seed=index)
        )
    distinct = list(dict.fromkeys(s.lower() for s in samples))[:SAMPLES_PER_INTENT]
    if intent == RED_FLAG_INTENT:
        # Every family of red flag told in words (the semantic stage's exemplars) is a sample too, so a device's NLU
        # hears the same stories the offline matcher does; the skill answers a RedFlagIntent without a slot with the
        # general warning signs and the emergency number.
        taken = set(distinct)
        distinct += [s for s in red_flag_exemplar_samples() if s not in taken]
    return sorted(distinct)


def red_flag_exemplar_samples() -> list[str]:
    """The red-flag exemplars in the form Alexa takes samples: lowercase words, no digits, at most 200 characters."""
    out = []
    for label, sentences in load_exemplars().items():
        if not label.startswith(RED_FLAG_PREFIX):
            continue
        for sentence in sentences:
            sample = " ".join(re.sub(r"[^a-z' ]", " ", sentence.lower()).split())
            if sample and len(sample) <= MAX_SAMPLE_CHARS and _SAMPLE_CHARS.match(sample):
                out.append(sample)
    return list(dict.fromkeys(out))


def slot_types(language: Language) -> list[dict]:
    """Custom slot types from the slot lists: each value's id, its first phrasing as name, the rest as synonyms."""
    types: dict[str, dict] = {}
    for spec in language.intents.values():
        for slot, kind in sorted(spec.slot_types.items()):
            if kind.startswith(BUILTIN_PREFIX) or kind in types:
                continue
            values = []
            for value_id, phrases in language.value_phrases(slot, limit=SYNONYMS_PER_VALUE + 1):
                values.append({"id": value_id, "name": {"value": phrases[0], "synonyms": phrases[1:]}})
            types[kind] = {"name": kind, "values": values}
    return [types[k] for k in sorted(types)]


_BUILT: dict[int, tuple[Language, dict]] = {}


def build_model(language: Language) -> dict:
    """The interaction model JSON (same for every English locale): a fresh copy each call (callers change theirs),
    built once per language (filling in every slot to keep the intents disjoint takes a second or two)."""
    built = _BUILT.get(id(language))
    if built is None or built[0] is not language:
        model = _build_model(language)
        make_disjoint(model["interactionModel"]["languageModel"])
        _BUILT[id(language)] = built = (language, model)
    return copy.deepcopy(built[1])


def _build_model(language: Language) -> dict:
    intents: list[dict] = []
    for name, spec in language.intents.items():
        if spec.is_builtin:
            # Alexa brings the built-ins' samples; ours only teach the offline matcher, unless they extend it.
            samples = alexa_samples(language, name) if spec.extends_builtin else []
            intents.append({"name": name, "samples": samples})
            continue
        intents.append(
            {
                "name": name,
                "slots": [{"name": slot, "type": kind} for slot, kind in sorted(spec.slot_types.items())],
                "samples": alexa_samples(language, name),
            }
        )
    if FALLBACK_INTENT not in language.intents:
        intents.append({"name": FALLBACK_INTENT, "samples": []})
    return {
        "interactionModel": {
            "languageModel": {
                "invocationName": language.invocation_name,
                "modelConfiguration": {"fallbackIntentSensitivity": {"level": "LOW"}},
                "intents": intents,
                "types": slot_types(language),
            }
        }
    }


@dataclass(frozen=True)
class LintProblem:
    where: str
    message: str

    def __str__(self) -> str:
        return f"{self.where}: {self.message}"


def lint_model(model: dict) -> list[LintProblem]:
    """Alexa's rules that a build on the developer console would reject, plus our own minimums."""
    problems: list[LintProblem] = []
    lm = model["interactionModel"]["languageModel"]
    invocation = lm["invocationName"]
    words = invocation.split()
    if invocation != invocation.lower() or len(words) < 2 or set(words) & _LAUNCH_WORDS:
        problems.append(LintProblem("invocationName", f"'{invocation}' must be 2+ lowercase words, no launch words"))

    names = [i["name"] for i in lm["intents"]]
    for required in REQUIRED_BUILTINS:
        if required not in names:
            problems.append(LintProblem(required, "required built-in intent is missing; add it to the language file"))
    declared_types = {t["name"] for t in lm.get("types", [])}
    for kind in lm.get("types", []):
        ids = [v.get("id") for v in kind.get("values", [])]
        if not ids:
            problems.append(LintProblem(kind["name"], "slot type has no values"))
        if len(set(ids)) != len(ids):
            problems.append(LintProblem(kind["name"], "two values share an id; merge them in the slot list"))
        for value in kind.get("values", []):
            for text in [value["name"]["value"], *value["name"].get("synonyms", [])]:
                if not _SAMPLE_CHARS.match(text) or "{" in text or len(text) > MAX_VALUE_CHARS:
                    problems.append(LintProblem(f"{kind['name']} value '{text}'", "only lowercase words, at most "
                                                f"{MAX_VALUE_CHARS} characters"))

    owner: dict[str, str] = {}
    for intent in lm["intents"]:
        name = intent["name"]
        samples = intent.get("samples", [])
        slots = {s["name"]: s["type"] for s in intent.get("slots", [])}
        for slot, kind in slots.items():
            if not kind.startswith(BUILTIN_PREFIX) and kind not in declared_types:
                problems.append(LintProblem(f"{name}.{slot}", f"slot type {kind} is not declared in types"))
        used: set[str] = set()
        for sample in samples:
            where = f"{name} sample '{sample}'"
            if not _SAMPLE_CHARS.match(sample):
                problems.append(LintProblem(where, "only lowercase letters, spaces, apostrophes, periods and {slots}"))
            if len(sample) > MAX_SAMPLE_CHARS:
                problems.append(LintProblem(where, f"longer than {MAX_SAMPLE_CHARS} characters"))
            for ref in _SLOT_REF.findall(sample):
                used.add(ref)
                if ref not in slots:
                    problems.append(LintProblem(where, f"slot {{{ref}}} is not declared; add it to alexa_slot_types"))
            if re.search(r"[^ ]\{|\}[^ ]", sample):
                problems.append(LintProblem(where, "a {slot} must stand between spaces"))
            key = sample.lower().strip()
            if key in owner and owner[key] != name:
                problems.append(LintProblem(where, f"also a sample of {owner[key]}; make the templates disjoint"))
            owner.setdefault(key, name)
        for slot in slots:
            if slot not in used:
                problems.append(LintProblem(f"{name}.{slot}", "declared slot is used by no sample"))
        if not name.startswith(BUILTIN_PREFIX) and len(set(samples)) < MIN_CUSTOM_SAMPLES:
            problems.append(
                LintProblem(name, f"{len(set(samples))} distinct samples; custom intents need {MIN_CUSTOM_SAMPLES}+")
            )
    problems.extend(_collisions(lm))
    return problems


def _collisions(lm: dict) -> list[LintProblem]:
    """Samples of two intents that reach one utterance once their slots are filled in (literal duplicates are
    reported above)."""
    found = []
    for c in build_index(lm).pairs():
        if not c.first.fill and not c.second.fill:
            continue
        found.append(LintProblem(f"{c.second.sample.intent} sample '{c.second.sample.text}'",
                                 f"says '{c.utterance}' as {c.first.sample.intent} '{c.first.sample.text}' does; "
                                 "make the templates disjoint"))
    return found
