"""`hamstring nlu-eval`: Alexa NLU evaluation annotation sets, exported from our labelled question sets and run
offline against the matcher (intents/nlu_eval.py says what passes)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from .errors import CliError
from .textio import read_bounded

MAX_INPUT_BYTES = 4 * 1024 * 1024


def _read(path: str) -> bytes:
    raw = read_bounded(path, MAX_INPUT_BYTES)
    if len(raw) > MAX_INPUT_BYTES:
        raise CliError(f"{path} is over {MAX_INPUT_BYTES // (1024 * 1024)} MiB")
    return raw


def _labelled_items(path: str) -> Any:
    import yaml

    try:
        return yaml.safe_load(_read(path).decode("utf-8"))
    except (UnicodeDecodeError, yaml.YAMLError):
        raise CliError(f"{path} is not a YAML list of labelled questions") from None


def _write(text: str, out: str | None) -> None:
    if out is None:
        sys.stdout.write(text)
        return
    try:
        Path(out).write_text(text, encoding="utf-8")
    except OSError as error:
        raise CliError(f"cannot write {out}: {error.strerror}") from None


def cmd_nlu_eval(args: argparse.Namespace) -> int:
    from intents.nlu_eval import AnnotationError, annotation_set, annotations_from_items, parse_annotation_set

    if args.export:
        items = _labelled_items(args.file)
        if not isinstance(items, list) or not items:
            raise CliError(f"{args.file} is not a YAML list of labelled questions")
        try:
            exported = annotation_set(annotations_from_items(items))
        except AnnotationError as error:
            raise CliError(f"{args.file}: {error}") from None
        _write(json.dumps(exported, indent=2, ensure_ascii=False) + "\n", args.out)
        return 0
    if args.out:
        raise CliError("--out goes with --export (an evaluation prints its table)", 2)
    try:
        annotations = parse_annotation_set(_read(args.file))
    except AnnotationError as error:
        raise CliError(f"{args.file}: {error}") from None
    return _run(annotations, args)


def _run(annotations: list, args: argparse.Namespace) -> int:
    from intents.matcher import default_matcher
    from intents.nlu_eval import confusion, evaluate, report

    outcomes = evaluate(annotations, default_matcher())
    if args.json:
        passed = sum(o.passed for o in outcomes)
        summary = {"passed": passed, "failed": len(outcomes) - passed, "results": [o.to_json() for o in outcomes],
                   "confusion": {k: dict(v) for k, v in sorted(confusion(outcomes).items())}}
        sys.stdout.write(json.dumps(summary, ensure_ascii=False) + "\n")
    else:
        sys.stdout.write(report(outcomes, Path(args.file).name))
    return 0 if all(o.passed for o in outcomes) else 1
