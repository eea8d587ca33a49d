"""Start-up: every front end's first answer in a fresh process, each next to a hello-world doing the same job.

    python -m benchmarks.startup [--runs 7] [--only ask chat ...] [--save FILE] [--before FILE]

Rows (ours | its hello-world, benchmarks/hello_front_ends.py unless said):
  ask        `hamstring ask QUESTION` to the printed answer | a hello-world ask-sdk-core skill answering one
             IntentRequest
  chat       `hamstring chat` with QUESTION on stdin, to the first answer | the same, a line of stdin
  simulator  `hamstring serve --no-verify`, spawned, to the answer of the first typed turn (/simulator/api/turn,
             posted as soon as the port takes it) | the hello-world skill under the same gunicorn set-up answering
             one POST (benchmarks/http_throughput.py's bare-hello app)
  voice      `hamstring voice --input WAV --json --no-tts` to the turn | pocketsphinx with its default model and
             dictionary decoding the file, then the hello-world skill
  listening  `./run.sh --mic-file WAV --json --no-tts` (the set-up check included, in a copy of the checkout's
             scripts that can never install anything) to "listening" on stderr | the default pocketsphinx decoder
             and the skill made, then "listening"
  first turn the same run's first turn: end of speech (the VAD's end of the utterance) to the answer, from the turn's
             timings (how far the loop lagged behind the input then, + stt + nlu + skill) | the default decoder's end
             of utterance to the hello-world answer
  lambda     benchmarks/cold_start.py's programs: a fresh interpreter to the first answered launch, without a store,
             and with the DynamoDB adapter against moto on loopback | the hello-world `lambda_handler` (both times)
  memory     each process's peak resident memory (the voice rows' is the target's)
Interleaved (ours and its hello-world alternate, row after row, run after run) and medians of --runs (at least 7 for
a report), after one untimed run of every program, all with bytecode in one temporary cache (as cold_start.py; the
Lambda figures to report are cold_start.py's, which also start as Lambda's runtime does). QUESTION is spoken once
by espeak-ng into WAV (16 kHz mono, half a second of quiet either side).
Targets (issue 21): ask, chat and the simulator <= 2x their hello-world; voice listening <= 1.5 s, first turn
<= 300 ms, peak memory <= 300 MB; Lambda <= 1.2x without a store, <= 2x with DynamoDB.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from benchmarks import cold_start

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "benchmarks" / "out"
QUESTION = "when should i see a doctor"
PY = sys.executable
TIMEOUT_S = 300


@dataclass
class Run:
    """One fresh process: seconds from its spawn to the event, its peak memory, and any figure it reported."""

    seconds: float
    memory_mb: float
    latency_ms: float | None = None


@dataclass
class Side:
    """How to start one side of a row and find its event in what the process says."""

    command: list[str]
    stdin: bytes | None = None
    event: str = "stdout"  # stdout: the first line there; "stderr:TEXT": a stderr line starting so; "exit"
    env: dict[str, str] = field(default_factory=dict)
    latency: Callable[[str], float] | None = None  # read from the first stdout line
    http: Callable[[], tuple[str, bytes]] | None = None  # a server: the request whose answer is the event


@dataclass
class Row:
    name: str
    ours: Side
    hello: Side
    target: str  # "ratio:2", "seconds:1.5", "ms:300", "mb:300" or "none"
    measure: str = "seconds"  # or "latency_ms", "memory_mb"


def spawn(side: Side, base_env: dict[str, str]) -> Run:
    # Through GNU time for the peak memory: a child forked from this (large) process would report ours as its own.
    with tempfile.NamedTemporaryFile("r") as peak:
        run = _spawn(side, base_env, ["/usr/bin/time", "-f", "%M", "-o", peak.name])
        run.memory_mb = int(peak.read().split()[-1]) / 1024
    return run


def _spawn(side: Side, base_env: dict[str, str], wrapper: list[str]) -> Run:
    started = time.perf_counter()
    process = subprocess.Popen([*wrapper, *side.command], cwd=ROOT, env=base_env | side.env, start_new_session=True,
                               stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    lines: list[tuple[float, str, str]] = []
    readers = [threading.Thread(target=_read, args=(stream, name, lines), daemon=True)
               for stream, name in ((process.stdout, "stdout"), (process.stderr, "stderr"))]
    for reader in readers:
        reader.start()
    if process.stdin is not None:
        process.stdin.write(side.stdin or b"")
        process.stdin.close()
    answered = _ask_server(side, process) if side.http is not None else None
    if answered is not None:  # the server (GNU time's child) stops its workers; time then reports and exits
        children = Path(f"/proc/{process.pid}/task/{process.pid}/children").read_text().split()
        for child in children:
            os.kill(int(child), signal.SIGTERM)
    process.wait()
    for reader in readers:
        reader.join()
    if side.http is None and process.returncode != 0:
        raise RuntimeError(f"{' '.join(side.command)} exited {process.returncode}: "
                           + " | ".join(line for _, name, line in lines if name == "stderr")[-600:])
    ended = time.perf_counter() if answered is None else answered
    at = answered if answered is not None else _event_time(side, lines, ended)
    first = next((line for _, name, line in lines if name == "stdout"), "")
    return Run(at - started, 0.0, side.latency(first) if side.latency else None)


def _read(stream, name: str, lines: list[tuple[float, str, str]]) -> None:
    for raw in stream:
        lines.append((time.perf_counter(), name, raw.decode("utf-8", "replace").rstrip("\n")))


def _event_time(side: Side, lines: list[tuple[float, str, str]], ended: float) -> float:
    if side.event == "exit":
        return ended
    if side.event == "stdout":
        return next(t for t, name, _ in lines if name == "stdout")
    prefix = side.event.split(":", 1)[1]
    return next(t for t, name, line in lines if name == "stderr" and line.startswith(prefix))


def _ask_server(side: Side, process: subprocess.Popen) -> float:
    """Posts the side's request until the server takes it; the time its answer arrived."""
    assert side.http is not None
    url, body = side.http()
    deadline = time.monotonic() + TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{' '.join(side.command)} exited before answering")
        request = urllib.request.Request(url, body, {"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT_S) as response:
                response.read()
                return time.perf_counter()
        except (ConnectionError, urllib.error.URLError):
            time.sleep(0.01)
    raise RuntimeError("the server never answered")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def turn_latency(line: str) -> float:
    timings = json.loads(line)["timings"]
    return float(timings["behind_ms"] + timings["stt_ms"] + timings["nlu_ms"] + timings["skill_ms"])


def hello_latency(line: str) -> float:
    return float(json.loads(line)["latency_ms"])


def spoken_question(folder: Path) -> Path:
    from local_voice.audio import AudioChunk, read_wav, write_wav

    raw = folder / "raw.wav"
    subprocess.run(["espeak-ng", "-v", "en-us", "-s", "160", "-w", str(raw), QUESTION], check=True)
    wav = folder / "question.wav"
    write_wav(wav, (AudioChunk.silence(0.5) + read_wav(raw) + AudioChunk.silence(0.5)).audio)
    return wav


def run_sh_copy(folder: Path) -> Path:
    """./run.sh with its set-up check, in a copy whose virtualenv is this interpreter: the stamp matches, so the
    check installs nothing (and its python refuses pip, should it ever try)."""
    copy = folder / "checkout"
    (copy / "scripts").mkdir(parents=True)
    for name in ("run.sh", "pyproject.toml"):
        shutil.copy(ROOT / name, copy / name)
    for script in (ROOT / "scripts").iterdir():
        shutil.copy(script, copy / "scripts" / script.name)
    bin_dir = copy / ".venv" / "bin"
    bin_dir.mkdir(parents=True)
    (bin_dir / "python").write_text(f'#!/bin/sh\ncase "$*" in *"-m pip"*) exit 1;; esac\nexec {PY} "$@"\n')
    (bin_dir / "hamstring").write_text(f'#!/bin/sh\nexec {PY} -m hamstring "$@"\n')
    for script in bin_dir.iterdir():
        script.chmod(0o755)
    stamp = subprocess.run("cat pyproject.toml | sha256sum | cut -c1-16", shell=True, cwd=copy, check=True,
                           capture_output=True, text=True).stdout.strip()
    extras = re.search(r"extras=\$\{1:-([^}]*)\}", (ROOT / "scripts" / "setup.sh").read_text())
    assert extras is not None, "scripts/setup.sh no longer says its default extras as extras=${1:-...}"
    (copy / ".venv" / ".hamstring-installed").write_text(f"{stamp}-{extras.group(1)}\n")
    return copy / "run.sh"


def rows(folder: Path, dynamodb_env: dict[str, str] | None) -> list[Row]:
    wav = str(spoken_question(folder))
    hello = [PY, "-m", "benchmarks.hello_front_ends"]
    ours = [PY, "-m", "hamstring"]
    port = {"ours": free_port(), "hello": free_port()}
    turn = json.dumps({"utterance": QUESTION}).encode()
    launch = cold_start.EVENT.read_bytes()
    serve_hello = ("from pathlib import Path; from benchmarks.http_throughput import serve_child; "
                   f"serve_child('bare-hello', Path({str(folder)!r}), {port['hello']}, 2)")
    listen = Side(["bash", str(run_sh_copy(folder)), "--mic-file", wav, "--json", "--no-tts"],
                  event="stderr:listening", latency=turn_latency)
    hello_listen = Side([*hello, "listen", wav], event="stderr:listening", latency=hello_latency)
    voice = Side([*ours, "voice", "--input", wav, "--json", "--no-tts"])
    hello_voice = Side([*hello, "voice", wav])
    table = [
        Row("ask", Side([*ours, "ask", QUESTION]), Side([*hello, "ask", QUESTION]), "ratio:2"),
        Row("chat", Side([*ours, "chat"], QUESTION.encode() + b"\n"),
            Side([*hello, "chat"], QUESTION.encode() + b"\n"), "ratio:2"),
        Row("simulator", Side([*ours, "serve", "--no-verify", "--port", str(port["ours"])],
                              http=lambda: (f"http://127.0.0.1:{port['ours']}/simulator/api/turn", turn)),
            Side([PY, "-c", serve_hello], http=lambda: (f"http://127.0.0.1:{port['hello']}/", launch)), "ratio:2"),
        Row("voice --input", voice, hello_voice, "none"),
        Row("voice peak memory", voice, hello_voice, "mb:300", "memory_mb"),
        Row("listening (./run.sh)", listen, hello_listen, "seconds:1.5"),
        Row("first turn", listen, hello_listen, "ms:300", "latency_ms"),
        Row("lambda", Side([PY, "-c", cold_start.PROGRAMS["hamstring lambda"]], event="exit"),
            Side([PY, "-c", cold_start.PROGRAMS["hello-world lambda"]], event="exit"), "ratio:1.2"),
    ]
    if dynamodb_env is not None:
        table.append(Row("lambda + DynamoDB", Side([PY, "-c", cold_start.PROGRAMS["hamstring lambda+ddb"]],
                                                   event="exit", env=dynamodb_env),
                         Side([PY, "-c", cold_start.PROGRAMS["hello-world lambda"]], event="exit"), "ratio:2"))
    return table


def measure(table: list[Row], runs: int, base_env: dict[str, str]) -> dict[str, dict[str, list[dict]]]:
    """Interleaved: each row's two sides one after the other (in turns first), row after row, run after run. A row
    that reads its figure from another row's processes (the first turn, from the listening run) starts none."""
    results: dict[str, dict[str, list[dict]]] = {row.name: {"ours": [], "hello": []} for row in table}
    for row in table:  # untimed: fills the bytecode cache (cold_start.bytecode_env) and the derived-data cache
        for side in (row.ours, row.hello):
            spawn(side, base_env)
    for number in range(runs):
        done: dict[int, Run] = {}
        for row in table:
            sides = [("ours", row.ours), ("hello", row.hello)]
            for name, side in sides if number % 2 == 0 else sides[::-1]:
                if id(side) not in done:
                    done[id(side)] = spawn(side, base_env)
                results[row.name][name].append(done[id(side)].__dict__)
        print(f"run {number + 1}/{runs} done", file=sys.stderr, flush=True)
    return results


def figure(runs: list[dict], measure_name: str) -> float:
    values = [run[measure_name] for run in runs if run[measure_name] is not None]
    return statistics.median(values) if values else float("nan")


def summary(table: list[Row], results: dict[str, dict[str, list[dict]]]) -> list[dict]:
    lines = []
    for row in table:
        ours, hello = results[row.name]["ours"], results[row.name]["hello"]
        measure_name = row.measure
        value, base = figure(ours, measure_name), figure(hello, measure_name)
        kind, _, bound = row.target.partition(":")
        ok = None if kind == "none" else value / base <= float(bound) if kind == "ratio" else value <= float(bound)
        lines.append({"row": row.name, "measure": measure_name, "ours": value, "hello": base, "ratio": value / base,
                      "target": row.target, "ok": ok, "ours_mb": figure(ours, "memory_mb"),
                      "hello_mb": figure(hello, "memory_mb"), "runs": len(ours)})
    return lines


def _unit(measure_name: str, value: float) -> str:
    if measure_name == "latency_ms":
        return f"{value:.0f} ms"
    if measure_name == "memory_mb":
        return f"{value:.0f} MB"
    return f"{value:.3f} s"


def _target(target: str) -> str:
    kind, _, bound = target.partition(":")
    return {"ratio": f"<= {bound}x", "seconds": f"<= {bound} s", "ms": f"<= {bound} ms", "mb": f"<= {bound} MB",
            "none": ""}[kind]


def _verdict(ok: bool | None) -> str:
    return "" if ok is None else "ok" if ok else "X"


def print_table(lines: list[dict], before: list[dict] | None = None) -> None:
    earlier = {line["row"]: line for line in before or []}
    head = (f"{'front end':<22}{'ours':>11}{'hello-world':>13}{'ratio':>8}{'target':>11}{'':>3}{'ours MB':>9}"
            f"{'hello MB':>9}")
    if earlier:
        head += f"{'before':>12}{'ratio':>8}{'MB':>6}"
    print(head)
    for line in lines:
        measure_name = line["measure"]
        text = (f"{line['row']:<22}{_unit(measure_name, line['ours']):>11}{_unit(measure_name, line['hello']):>13}"
                f"{line['ratio']:>7.2f}x{_target(line['target']):>11}{_verdict(line['ok']):>3}"
                f"{line['ours_mb']:>9.0f}{line['hello_mb']:>9.0f}")
        old = earlier.get(line["row"])
        if old is not None:
            text += f"{_unit(old['measure'], old['ours']):>12}{old['ratio']:>7.2f}x{old['ours_mb']:>6.0f}"
        print(text)
    runs = {line["runs"] for line in lines}
    print(f"medians of {'/'.join(map(str, sorted(runs)))} interleaved runs; ratio = ours / its hello-world "
          "(for the absolute targets, shown for scale)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--only", nargs="+", help="rows whose name starts so (ask, chat, simulator, voice, "
                                                  "listening, first, lambda)")
    parser.add_argument("--save", type=Path, default=OUT / "startup.json", help="where the results go (JSON)")
    parser.add_argument("--before", type=Path, help="an earlier --save, shown beside these results")
    args = parser.parse_args(argv)
    base_env = {k: v for k, v in os.environ.items() if k not in cold_start.STORE_ENV}
    base_env |= {"HAMSTRING_STATE": "off", "PYTHONPATH": str(ROOT)}  # never the user's saved place; this checkout
    local = cold_start.start_local_dynamodb()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            # Bytecode for every program alike, as an installed package (or a user's first run) has it: under
            # PYTHONDONTWRITEBYTECODE our sources would be compiled on every start, the installed libraries not.
            base_env = cold_start.bytecode_env(base_env, str(Path(tmp) / "pyc"))
            table = rows(Path(tmp), local[1] if local is not None else None)
            if args.only:
                table = [row for row in table if any(row.name.startswith(name) for name in args.only)]
            results = measure(table, args.runs, base_env)
    finally:
        if local is not None:
            local[0].stop()  # type: ignore[attr-defined]
    lines = summary(table, results)
    before = json.loads(args.before.read_text())["summary"] if args.before else None
    print_table(lines, before)
    args.save.parent.mkdir(parents=True, exist_ok=True)
    args.save.write_text(json.dumps({"summary": lines, "runs": results}, indent=1))
    return 0 if all(line["ok"] is not False for line in lines) else 1


if __name__ == "__main__":
    sys.exit(main())
