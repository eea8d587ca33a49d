"""The rules that read the package's files alone: manifest, interaction models, ask-resources.json."""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from intents.alexa_model import MIN_CUSTOM_SAMPLES, REQUIRED_BUILTINS
from intents.alexa_samples import Reached, SampleIndex, as_sample
from intents.names import FALLBACK_INTENT

from .findings import ERROR, WARNING, Report
from .package import Package

# Alexa's invocation name rules (custom skills): launch phrases, connecting words and wake words may not appear.
LAUNCH_WORDS = {"ask", "tell", "open", "launch", "begin", "start", "resume", "run", "load", "use", "play", "enable"}
CONNECTING_WORDS = {"to", "from", "by", "if", "and", "whether"}
WAKE_WORDS = {"alexa", "amazon", "echo", "computer", "skill", "app"}
MAX_INVOCATION_CHARS = 50
_INVOCATION_CHARS = re.compile(r"^[a-z][a-z' .]*$")
# "Alexa, open <invocation>" or "Alexa, ask <invocation> [to|for|about...] <utterance>".
_EXAMPLE = re.compile(r"^alexa\s*,?\s+(?P<verb>open|launch|start|begin|ask|tell|talk to|use)\s+(?P<rest>.+)$")
_OPENERS = {"open", "launch", "start", "begin", "talk to", "use"}
_EXAMPLE_CONNECTORS = ("to", "for", "about", "if", "whether", "and")
MAX_EXAMPLE_PHRASES = 3
HEALTH_DESCRIPTION = "not a substitute for professional medical advice"
HEALTH_SUMMARY = ("not medical advice", HEALTH_DESCRIPTION)
_PLACEHOLDER = re.compile(r"replace|your[-_.]|placeholder|todo|changeme", re.IGNORECASE)
_PLACEHOLDER_HOSTS = ("example.com", "example.org", "example.net", "localhost", "127.0.0.1")
VIEWPORT_MODES = {"HUB", "TV", "MOBILE", "PC", "AUTO"}
VIEWPORT_SHAPES = {"RECTANGLE", "ROUND"}
# The viewport profiles Amazon requires of every APL skill, as (mode, shape, a width, a height) inside each.
REQUIRED_VIEWPORTS = {
    "hubRoundSmall": ("HUB", "ROUND", 480, 480),
    "hubLandscapeMedium": ("HUB", "RECTANGLE", 1024, 600),
    "hubLandscapeLarge": ("HUB", "RECTANGLE", 1280, 800),
    "tvLandscapeXLarge": ("TV", "RECTANGLE", 960, 540),
}


@dataclass(frozen=True)
class Example:
    """An example phrase as Alexa would take it: a launch, or an utterance that reaches a sample."""

    locale: str
    number: int
    phrase: str
    launch: bool
    reached: Reached | None


def check_locales(package: Package, report: Report) -> None:
    manifest, models, privacy = set(package.locales), set(package.models), set(package.privacy_locales)
    if not manifest:
        report.add("locales", "skill.json: manifest.publishingInformation.locales", "no locale is published")
    for locale in sorted(manifest - models):
        report.add("locales", f"skill.json: publishingInformation.locales.{locale}",
                   f"no interaction model interactionModels/custom/{locale}.json")
    for locale in sorted(models - manifest):
        report.add("locales", f"interactionModels/custom/{locale}.json",
                   "a model for a locale the manifest does not publish")
    for locale in sorted(manifest - privacy):
        report.add("locales", f"skill.json: privacyAndCompliance.locales.{locale}", "missing for a published locale")


def check_lambda_handler(package: Package, report: Report) -> None:
    if package.resources is None or package.resources_path is None:
        return  # no ask-resources.json: a package deployed by hand, or to an HTTPS endpoint
    profiles = package.resources.get("profiles")
    for name, profile in sorted(profiles.items()) if isinstance(profiles, dict) else []:
        where = f"ask-resources.json: profiles.{name}.skillInfrastructure.userConfig.handler"
        config = ((profile or {}).get("skillInfrastructure") or {}).get("userConfig") or {}
        handler = config.get("handler")
        if handler is None:
            continue
        problem = _handler_problem(package.resources_path.parent, handler)
        if problem:
            report.add("lambda-handler", where, problem)


def _handler_problem(project: Path, handler: object) -> str | None:
    if not isinstance(handler, str) or "." not in handler:
        return "must be module.function, e.g. skill.lambda_function.handler"
    module, _, function = handler.rpartition(".")
    path = project.joinpath(*module.split(".")).with_suffix(".py")
    if not path.is_file():
        return f"no module file {path.relative_to(project)} for {module}"
    try:
        tree = ast.parse(path.read_text(encoding="utf-8"))
    except (OSError, SyntaxError, UnicodeDecodeError):
        return f"{path.relative_to(project)} does not parse as Python"
    names = {n.name for n in tree.body if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)}
    names |= {t.id for n in tree.body if isinstance(n, ast.Assign) for t in n.targets if isinstance(t, ast.Name)}
    return None if function in names else f"{path.relative_to(project)} defines no {function}"


def check_builtins_present(package: Package, report: Report) -> None:
    for locale, model in sorted(package.models.items()):
        names = {i.get("name") for i in model["intents"] if isinstance(i, dict)}
        for required in REQUIRED_BUILTINS:
            if required in names:
                continue
            if required == FALLBACK_INTENT:  # recommended, not required: without it Alexa forces a near match
                report.warn("builtin-intents", f"interactionModels/custom/{locale}.json", f"no {required}")
            else:
                report.add("builtin-intents", f"interactionModels/custom/{locale}.json",
                           f"no {required}: certification requires it")


def check_sample_counts(package: Package, report: Report) -> None:
    for locale, model in sorted(package.models.items()):
        for intent in model["intents"]:
            name = intent.get("name") if isinstance(intent, dict) else None
            if not isinstance(name, str) or name.startswith("AMAZON."):
                continue
            count = len({as_sample(s) for s in intent.get("samples") or [] if isinstance(s, str)})
            if count < MIN_CUSTOM_SAMPLES:
                report.add("sample-count", f"interactionModels/custom/{locale}.json: {name}",
                           f"{count} distinct samples; a custom intent needs {MIN_CUSTOM_SAMPLES} or more")


def check_collisions(package: Package, indexes: dict[str, SampleIndex], report: Report) -> None:
    for locale, index in sorted(indexes.items()):
        where = f"interactionModels/custom/{locale}.json"
        for c in index.pairs():
            a, b = c.first.sample, c.second.sample
            if c.ambiguous_slot:
                kinds = " / ".join(f"{x} and {y}" for x, y in zip(a.types, b.types, strict=True) if x != y)
                report.add("slot-overlap", f"{where}: {a.intent} '{a.text}', {b.intent} '{b.text}'",
                           f"'{c.utterance}' fills the same place as {kinds}")
            else:
                report.add("sample-conflict", f"{where}: {b.intent} '{b.text}'",
                           f"says '{c.utterance}', as {a.intent} '{a.text}' does")
        for kind, phrases in sorted(index.phrases.items()):
            for phrase, ids in sorted(phrases.items()):
                if len(ids) > 1:
                    report.warn("slot-overlap", f"{where}: type {kind}",
                                f"'{phrase}' is a phrase of values {', '.join(ids)}: entity resolution cannot tell")


def check_invocation_names(package: Package, report: Report) -> None:
    for locale, model in sorted(package.models.items()):
        where = f"interactionModels/custom/{locale}.json: invocationName"
        for problem, severity in invocation_problems(model["invocationName"]):
            report.add("invocation-name", where, problem, severity=severity)


def invocation_problems(name: str) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    words = name.split()
    if any(c.isdigit() for c in name):
        found.append(("digits: spell numbers out", ERROR))
    if not _INVOCATION_CHARS.match(name):
        found.append(("only lowercase letters, spaces, apostrophes and the periods of initials", ERROR))
    if len(name) > MAX_INVOCATION_CHARS:
        found.append((f"over {MAX_INVOCATION_CHARS} characters", ERROR))
    banned = sorted(set(words) & (LAUNCH_WORDS | CONNECTING_WORDS | WAKE_WORDS))
    if banned:
        found.append((f"has {', '.join(banned)}: no launch phrases, connecting words or wake words", ERROR))
    if len(words) < 2:
        found.append(("one word: allowed only for a brand name of your own", WARNING))
    return found


def check_example_phrases(package: Package, indexes: dict[str, SampleIndex], report: Report) -> list[Example]:
    """Each locale's example phrases; the ones Alexa can take come back for the one-shot answers."""
    examples: list[Example] = []
    for locale, info in sorted(package.locales.items()):
        where = f"skill.json: publishingInformation.locales.{locale}.examplePhrases"
        phrases = info.get("examplePhrases") if isinstance(info, dict) else None
        if not isinstance(phrases, list) or not 1 <= len(phrases) <= MAX_EXAMPLE_PHRASES:
            report.add("example-phrases", where, f"give 1 to {MAX_EXAMPLE_PHRASES} example phrases")
            continue
        model = package.models.get(locale)
        if model is None:
            continue  # the locales rule reports the missing model
        for number, phrase in enumerate(phrases, 1):
            if not isinstance(phrase, str):
                report.add("example-phrases", f"{where}[{number - 1}]", "not text")
                continue
            example, problem = read_example(phrase, model["invocationName"], indexes[locale], locale, number)
            if problem:
                report.add("example-phrases", f"{where}[{number - 1}] '{phrase}'", problem)
            if example is not None:
                examples.append(example)
    return examples


def read_example(phrase: str, invocation: str, index: SampleIndex, locale: str,
                 number: int) -> tuple[Example | None, str | None]:
    said = _EXAMPLE.match(as_sample(phrase))
    if not phrase.strip().lower().startswith("alexa") or said is None:
        return None, "must read \"Alexa, open <invocation name>\" or \"Alexa, ask <invocation name> ...\""
    rest = said["rest"]
    if rest != invocation and not rest.startswith(invocation + " "):
        return None, f"does not say the invocation name '{invocation}' after '{said['verb']}'"
    utterance = rest[len(invocation):].strip()
    if not utterance:
        if said["verb"] not in _OPENERS:
            return None, f"'{said['verb']} {invocation}' alone is not a launch phrase: use open"
        return Example(locale, number, phrase, True, None), None
    candidates = [utterance] + [utterance[len(c) + 1:] for c in _EXAMPLE_CONNECTORS if utterance.startswith(c + " ")]
    for candidate in candidates:
        reached = index.find(candidate)
        if reached is not None:
            return Example(locale, number, phrase, False, reached), None
    return None, f"'{utterance}' is not a sample utterance of the model (slots filled in)"


def check_health_disclaimer(package: Package, report: Report) -> None:
    info = package.manifest.get("publishingInformation") or {}
    category = str(info.get("category") or "")
    if not any(word in category for word in ("HEALTH", "MEDIC", "FITNESS")):
        return
    for locale, entry in sorted(package.locales.items()):
        base = f"skill.json: publishingInformation.locales.{locale}"
        description = " ".join(str((entry or {}).get("description") or "").lower().split())
        summary = " ".join(str((entry or {}).get("summary") or "").lower().split())
        if HEALTH_DESCRIPTION not in description:
            report.add("health-disclaimer", f"{base}.description",
                       f"a {category} skill must say it is \"{HEALTH_DESCRIPTION}\"")
        if not any(words in summary for words in HEALTH_SUMMARY):
            report.add("health-disclaimer", f"{base}.summary", "must say the skill is not medical advice")


def _placeholder(url: str) -> bool:
    host = (urlsplit(url).hostname or "").lower()
    return bool(_PLACEHOLDER.search(url)) or any(host == h or host.endswith("." + h) for h in _PLACEHOLDER_HOSTS)


def check_privacy_urls(package: Package, report: Report) -> None:
    for locale, entry in sorted(package.privacy_locales.items()):
        for field, what in (("privacyPolicyUrl", "privacy policy"), ("termsOfUseUrl", "terms of use")):
            where = f"skill.json: privacyAndCompliance.locales.{locale}.{field}"
            url = (entry or {}).get(field) if isinstance(entry, dict) else None
            if not isinstance(url, str) or not url.strip():
                report.add("privacy-urls", where, f"no {what} URL")
            elif urlsplit(url).scheme != "https" or not urlsplit(url).hostname:
                report.add("privacy-urls", where, "must be an https URL")
            elif _placeholder(url):
                report.warn("privacy-urls", where, f"a placeholder: publish the {what} and put its URL here")


def check_endpoint(package: Package, report: Report) -> None:
    endpoint = package.custom_api.get("endpoint")
    uri = endpoint.get("uri") if isinstance(endpoint, dict) else None
    where = "skill.json: apis.custom.endpoint.uri"
    if not isinstance(uri, str) or not uri:
        report.warn("endpoint-url", where, "no endpoint: `ask deploy` sets the Lambda's, or set your HTTPS URL")
    elif uri.startswith("arn:aws:lambda:"):
        return
    elif urlsplit(uri).scheme != "https":
        report.add("endpoint-url", where, "must be https or a Lambda ARN")
    elif _placeholder(uri):
        report.warn("endpoint-url", where, "a placeholder: set your HTTPS endpoint, or let `ask deploy` set the Lambda")


def check_apl_viewports(package: Package, report: Report) -> None:
    interface = package.apl_interface()
    if interface is None:
        return
    where = "skill.json: apis.custom.interfaces[ALEXA_PRESENTATION_APL].supportedViewports"
    viewports = interface.get("supportedViewports")
    if not isinstance(viewports, list) or not viewports:
        report.add("apl-interface", where, "no viewports: list the ones the APL documents were tested on")
        return
    valid = []
    for number, viewport in enumerate(viewports):
        problem = _viewport_problem(viewport)
        if problem:
            report.add("apl-interface", f"{where}[{number}]", problem)
        else:
            valid.append(viewport)
    for profile, (mode, shape, width, height) in REQUIRED_VIEWPORTS.items():
        if not any(_covers(v, mode, shape, width, height) for v in valid):
            report.add("apl-interface", where, f"does not support {profile}, which Amazon requires of APL skills")


def _viewport_problem(viewport: object) -> str | None:
    if not isinstance(viewport, dict):
        return "not an object"
    if viewport.get("mode") not in VIEWPORT_MODES or viewport.get("shape") not in VIEWPORT_SHAPES:
        return f"mode must be one of {sorted(VIEWPORT_MODES)} and shape one of {sorted(VIEWPORT_SHAPES)}"
    sizes = [viewport.get(k) for k in ("minWidth", "maxWidth", "minHeight", "maxHeight")]
    numbers = [s for s in sizes if isinstance(s, int) and not isinstance(s, bool) and s > 0]
    if len(numbers) != len(sizes):
        return "minWidth, maxWidth, minHeight and maxHeight must be positive whole numbers"
    if numbers[0] > numbers[1] or numbers[2] > numbers[3]:
        return "a minimum is over its maximum"
    return None


def _covers(viewport: dict, mode: str, shape: str, width: int, height: int) -> bool:
    return (viewport["mode"] == mode and viewport["shape"] == shape
            and viewport["minWidth"] <= width <= viewport["maxWidth"]
            and viewport["minHeight"] <= height <= viewport["maxHeight"])


def viewport_declared(package: Package, device: dict) -> bool:
    """Whether a device's viewport (context.Viewport) is one the manifest declares."""
    interface = package.apl_interface() or {}
    width, height = device.get("pixelWidth", 0), device.get("pixelHeight", 0)
    return any(_viewport_problem(v) is None and _covers(v, device.get("mode", ""), device.get("shape", ""), width,
                                                          height) for v in interface.get("supportedViewports") or [])
