"""A skill package as the ASK CLI deploys it: `skill.json`, `interactionModels/custom/<locale>.json`, and the
`ask-resources.json` beside the package folder. Read once, each file's problems reported as findings."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .findings import Report

MODELS = Path("interactionModels") / "custom"
MAX_FILE_BYTES = 8 * 1024 * 1024


class PackageError(ValueError):
    """Not a skill package at all: there is nothing to check (one line for the command line)."""


@dataclass
class Package:
    root: Path
    manifest: dict[str, Any]
    models: dict[str, dict[str, Any]] = field(default_factory=dict)  # locale -> languageModel
    resources: dict[str, Any] | None = None  # ask-resources.json, when there is one
    resources_path: Path | None = None

    @property
    def locales(self) -> dict[str, Any]:
        return _dict(_dict(self.manifest.get("publishingInformation")).get("locales"))

    @property
    def privacy_locales(self) -> dict[str, Any]:
        return _dict(_dict(self.manifest.get("privacyAndCompliance")).get("locales"))

    @property
    def custom_api(self) -> dict[str, Any]:
        return _dict(_dict(self.manifest.get("apis")).get("custom"))

    @property
    def interfaces(self) -> list[Any]:
        found = self.custom_api.get("interfaces")
        return found if isinstance(found, list) else []

    def apl_interface(self) -> dict[str, Any] | None:
        for interface in self.interfaces:
            if isinstance(interface, dict) and interface.get("type") == "ALEXA_PRESENTATION_APL":
                return interface
        return None

    def first_model(self) -> dict[str, Any]:
        """The model the skill is probed with (our locales share one; any would do)."""
        return next(iter(self.models.values()), {})


def _dict(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _read_json(path: Path) -> Any:
    with open(path, "rb") as handle:
        raw = handle.read(MAX_FILE_BYTES + 1)
    if len(raw) > MAX_FILE_BYTES:
        raise ValueError(f"over {MAX_FILE_BYTES // (1024 * 1024)} MiB")
    return json.loads(raw.decode("utf-8"))


def load_package(root: Path, report: Report) -> Package:
    """Raises PackageError when `root` has no readable skill.json; a bad model is a finding."""
    if not root.is_dir():
        raise PackageError(f"{root} is not a folder (give the skill package, e.g. speech_assets)")
    manifest_path = root / "skill.json"
    try:
        data = _read_json(manifest_path)
    except FileNotFoundError:
        raise PackageError(f"{root} has no skill.json: not a skill package") from None
    except (OSError, ValueError):
        raise PackageError(f"{manifest_path} is not readable JSON") from None
    manifest = data.get("manifest") if isinstance(data, dict) else None
    if not isinstance(manifest, dict):
        raise PackageError(f"{manifest_path} has no \"manifest\" object")
    package = Package(root, manifest)
    for path in sorted((root / MODELS).glob("*.json")) if (root / MODELS).is_dir() else []:
        where = f"{path.relative_to(root)}"
        try:
            model = _read_json(path)
        except (OSError, ValueError):
            report.add("package-files", where, "not readable JSON")
            continue
        language_model = _dict(_dict(_dict(model).get("interactionModel")).get("languageModel"))
        if not isinstance(language_model.get("intents"), list) or not isinstance(
                language_model.get("invocationName"), str):
            report.add("package-files", where, "no interactionModel.languageModel with invocationName and intents")
            continue
        package.models[path.stem] = language_model
    _load_resources(package, report)
    return package


def _load_resources(package: Package, report: Report) -> None:
    path = package.root.resolve().parent / "ask-resources.json"
    if not path.exists():
        return
    package.resources_path = path
    try:
        package.resources = _dict(_read_json(path))
    except (OSError, ValueError):
        report.add("package-files", "ask-resources.json", "not readable JSON", fix="ask-resources.json")
