"""What the voice assistant's derived data (local_voice/derived.py) would cost as generated files in git, against
what it costs as the on-disk cache it is: the numbers behind that choice (docs/startup.md).

    python -m benchmarks.derived_cost [--runs 3]

- first start: a fresh process building it into an empty cache (what a start after a template edit pays, once);
- later starts: a fresh process reading it back (what every other start pays, either way);
- in git: its bytes, compressed, and how much each of two typical template edits (a synonym added to a slot list, a
  sentence added to an intent) grows a repository that holds it, after `git gc --aggressive`; for scale, the same
  for the generated files already in git (the interaction models and en.runtime.json).
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT / "intents" / "sentences" / "en.yaml"
EDITS = {
    "a synonym": ('a warm shower)", out: heat}', 'a warm shower|a hot tub)", out: heat}'),
    "a sentence": ('          - "how to (prevent|avoid|stop getting) <cramp>"\n',
                   '          - "how to (prevent|avoid|stop getting) <cramp>"\n'
                   '          - "how (do|can) i stop <cramp> (coming back|returning)"\n'),
}
TIMED = ("import time; started = time.perf_counter(); from local_voice.derived import voice_language; "
         "voice_language(); print(time.perf_counter() - started)")


def timed_start(cache: Path) -> float:
    env = os.environ | {"HAMSTRING_CACHE_DIR": str(cache), "PYTHONPATH": str(ROOT)}
    out = subprocess.run([sys.executable, "-c", TIMED], cwd=ROOT, env=env, check=True, capture_output=True, text=True)
    return float(out.stdout.strip())


def as_files(data: dict) -> dict[str, str]:
    """The derived data as it would be committed: the grammar and the phrases as JSON, the model as ARPA text."""
    return {"intents/sentences/en.grammar.json": json.dumps(data["grammar"], indent=0) + "\n",
            "intents/sentences/en.trigram.arpa": data["arpa"],
            "intents/sentences/en.vosk.json": json.dumps(data["vosk_phrases"], indent=0) + "\n"}


def built(source_text: str, folder: Path, number: int) -> tuple[dict[str, str], dict[str, str]]:
    """The derived data's files, and the generated files in git today, of this language source."""
    from intents.assets import generated_files
    from intents.language import load_language
    from local_voice.derived import build

    path = folder / f"en-{number}.yaml"  # a path of its own: load_language remembers by path
    path.write_text(source_text, encoding="utf-8")
    language = load_language(path)
    return as_files(build(language)), {str(name): text for name, text in generated_files(language).items()}


def pack_growth(versions: list[dict[str, str]], folder: Path) -> list[int]:
    """Bytes of a gc'd repository after each version is committed."""
    repo = folder / "repo"
    repo.mkdir(parents=True)
    git = ["git", "-C", str(repo), "-c", "user.name=bench", "-c", "user.email=bench@localhost"]
    subprocess.run([*git, "init", "-q"], check=True)
    sizes = []
    for number, files in enumerate(versions):
        for name, text in files.items():
            (repo / name).parent.mkdir(parents=True, exist_ok=True)
            (repo / name).write_text(text, encoding="utf-8")
        subprocess.run([*git, "add", "-A"], check=True)
        subprocess.run([*git, "commit", "-qm", f"v{number}"], check=True)
        subprocess.run([*git, "gc", "-q", "--aggressive", "--prune=now"], check=True)
        counted = subprocess.run([*git, "count-objects", "-v"], check=True, capture_output=True, text=True).stdout
        sizes.append(int(next(line.split()[1] for line in counted.splitlines() if line.startswith("size-pack"))) * 1024)
    return sizes


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        first, later = [], []
        for run in range(args.runs):
            cache = folder / f"cache-{run}"
            first.append(timed_start(cache))
            later.append(timed_start(cache))
        base = SOURCE.read_text(encoding="utf-8")
        both = [built(base, folder, 0)]
        for number, (old, new) in enumerate(EDITS.values(), 1):
            assert old in base, old
            both.append(built(base.replace(old, new), folder, number))
        versions = [derived for derived, _ in both]
        raw = sum(len(text.encode()) for text in versions[0].values())
        packed = sum(len(gzip.compress(text.encode(), 9)) for text in versions[0].values())
        sizes = pack_growth(versions, folder / "derived")
        assets = pack_growth([generated for _, generated in both], folder / "assets")
    print(f"first start (build into an empty cache): median {statistics.median(first):.2f} s of {args.runs} "
          f"({min(first):.2f}-{max(first):.2f})")
    print(f"later starts (read the cache): median {statistics.median(later) * 1000:.0f} ms")
    print(f"as files in git: {raw / 1e6:.2f} MB, {packed / 1e3:.0f} KB gzipped; a repository holding them: "
          f"{sizes[0] / 1e3:.0f} KB")
    for index, name in enumerate(EDITS, 1):
        print(f"  + {name} in the templates, rebuilt and committed: +{(sizes[index] - sizes[index - 1]) / 1e3:.0f} KB "
              f"(the generated files in git today: +{(assets[index] - assets[index - 1]) / 1e3:.0f} KB, of "
              f"{assets[0] / 1e3:.0f} KB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
