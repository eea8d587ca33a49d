"""`hamstring` command line: ask, chat, simulate, assets, check, nlu-eval, serve, voice, model.

The whole command line is declared here, and only the chosen command's module is imported (as Home Assistant's
intentfest does): `--help` and `ask` work on the core install, and `serve` never pays for numpy. A command whose extra
is not installed says which one to install.

Errors are one line on stderr and a non-zero exit: 2 for a wrong command line, 1 for bad input or a failed check.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Callable, Sequence
from typing import NoReturn

from .errors import CliError

PROG = "hamstring"
DIST = "hamstring-cramp-helper"
# Which extra provides which top-level modules: a ModuleNotFoundError for one of them names the extra to install.
EXTRAS = {
    "server": {"flask", "werkzeug", "gunicorn", "gevent", "cryptography", "certifi"},
    "voice": {"numpy", "vosk", "pocketsphinx", "pyttsx3", "sounddevice", "soundfile", "tqdm", "espeakng_loader"},
}


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:  # argparse prints usage plus the error; we keep it to one line
        raise CliError(f"{message} (see `{self.prog} --help`)", 2)


def _port(text: str) -> int:
    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid int value: {text!r}") from None
    if not 0 < port < 65536:
        raise argparse.ArgumentTypeError("must be between 1 and 65535")
    return port


def build_parser() -> argparse.ArgumentParser:
    """Every command's arguments, no command's module: `func` names a "module:function" imported only when chosen."""
    parser = _Parser(prog=PROG, description="Hamstring Cramp Helper: an Alexa skill and offline voice assistant.")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    ask = sub.add_parser("ask", help="ask one question, as a new session")
    ask.add_argument("text", nargs="*", help="the question")
    ask.add_argument("--json", action="store_true", help="print the turn as one JSON object")
    ask.set_defaults(func="hamstring.commands:cmd_ask")

    chat = sub.add_parser("chat", help="a conversation: one utterance per line on stdin, one Alexa session")
    chat.add_argument("--json", action="store_true", help="print one JSON object per turn")
    chat.add_argument("--replay", metavar="FILE", help="play an ASK CLI replay file (`ask dialog --replay` format: "
                                                       "skillId, locale, type, userInput), then stdin unless .quit")
    chat.add_argument("--save-skill-io", metavar="FILE", help="write every request and response as the ASK CLI's "
                                                              "`ask dialog --save-skill-io` file")
    chat.set_defaults(func="hamstring.chat:cmd_chat")

    from .state_flags import add_state_arguments

    for command in (ask, chat):
        command.add_argument("--device", choices=["speaker", "screen"], default="speaker",
                             help="pretend a device: speaker (no screen) or screen (an Echo Show: APL documents)")
        add_state_arguments(command)

    simulate = sub.add_parser("simulate", help="run a raw Alexa request envelope; print the response envelope")
    simulate.add_argument("file", nargs="?", default="-", help="JSON file, or - for stdin (default)")
    simulate.set_defaults(func="hamstring.commands:cmd_simulate")

    assets = sub.add_parser("assets", help="generate or check the files made from the language source")
    assets.add_argument("action", choices=["build", "check"])
    assets.add_argument("--root", help="project root (default: this checkout)")
    assets.set_defaults(func="hamstring.commands:cmd_assets")

    _add_package_commands(sub)

    serve = sub.add_parser("serve", help="serve the Alexa endpoint over HTTP (gunicorn; extra: server)")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=_port, default=5000)
    serve.add_argument("--workers", type=int, default=2, help="gunicorn processes (each serves many connections)")
    serve.add_argument("--no-verify", action="store_true", help="skip Alexa signature checks (loopback only)")
    add_state_arguments(serve)
    serve.set_defaults(func="hamstring.serve:cmd_serve", extra="server")

    voice = sub.add_parser("voice", help="the offline voice assistant: microphone in, spoken answers out "
                                         "(extra: voice)")
    voice.add_argument("--engine", choices=["auto", "vosk", "pocketsphinx"], default="auto",
                       help="speech recognizer (auto: Vosk when a model is found, else the bundled pocketsphinx)")
    voice.add_argument("--model", help="Vosk model folder (default: $VOSK_MODEL_PATH, then Vosk's cache folder)")
    voice.add_argument("--input", nargs="+", metavar="FILE", help="WAV files, one utterance each, instead of the mic")
    voice.add_argument("--mic-file", metavar="FILE.wav", help="a WAV file played into the live loop in real time, as "
                                                              "if said to the microphone (try it without one)")
    voice.add_argument("--text", action="store_true", help="type questions, hear spoken answers")
    voice.add_argument("--json", action="store_true", help="one JSON object per turn (chat contract + transcript, "
                                                           "engine, confidence, confirm, timings)")
    voice.add_argument("--no-tts", action="store_true", help="print answers only")
    voice.add_argument("--tts-out", metavar="FILE.wav", help="write the spoken answer to a WAV file instead")
    voice.add_argument("--voice", help="speech voice (a part of its id or name)")
    voice.add_argument("--rate", type=int, help="speech rate, words a minute")
    voice.add_argument("--push-to-talk", action="store_true", help="wait for Enter before each question")
    add_state_arguments(voice)
    voice.add_argument("--noise", choices=["on", "off"], default=None,
                       help="WebRTC noise suppression and auto gain before recognition (default: what measured "
                            "better, see README)")
    voice.set_defaults(func="hamstring.voice:cmd_voice", extra="voice")

    model = sub.add_parser("model", help="manage Vosk models (extra: voice)")
    model_sub = model.add_subparsers(dest="model_command", required=True, parser_class=_Parser)
    download = model_sub.add_parser("download", help="download a Vosk model from the official model list")
    download.add_argument("name", nargs="?", default=None, help="model name (default: vosk-model-small-en-us-0.15)")
    download.add_argument("--dest", help="folder to install into (default: Vosk's cache folder)")
    download.add_argument("--list-url", help="model list URL (default: $VOSK_MODEL_LIST_URL or the official list)")
    download.set_defaults(func="hamstring.voice:cmd_model", extra="voice")
    return parser


def _add_package_commands(sub: argparse._SubParsersAction) -> None:
    """The commands for publishing: the certification pre-flight and the NLU evaluation sets."""
    check = sub.add_parser("check", help="certification pre-flight of a skill package and the skill answering it "
                                         "(exit 1 on an error)")
    check.add_argument("package", nargs="?", metavar="PACKAGE_DIR",
                       help="the skill package (skill.json, interactionModels/; default: this checkout's "
                            "speech_assets/)")
    check.add_argument("--json", action="store_true", help="print the findings as one JSON object")
    check.add_argument("--conversations", metavar="FILE",
                       help="golden conversations to replay (default: tests/data/conversations.yaml)")
    check.add_argument("--rules", action="store_true", help="list the rules and exit")
    check.set_defaults(func="hamstring.check.command:cmd_check")

    nlu = sub.add_parser("nlu-eval", help="run an Alexa NLU evaluation annotation set against the offline matcher "
                                          "(exit 1 when any annotation fails), or --export one")
    nlu.add_argument("file", help="annotation set (JSON, SMAPI's format); with --export, a labelled question set "
                                  "(YAML: text, intent, slots), e.g. tests/data/dev_utterances.yaml")
    nlu.add_argument("--export", action="store_true", help="write FILE's questions as an annotation set")
    nlu.add_argument("--out", metavar="FILE", help="with --export: write here instead of stdout")
    nlu.add_argument("--json", action="store_true", help="print the results as one JSON object")
    nlu.set_defaults(func="hamstring.nlu:cmd_nlu_eval")


def _missing_extra(error: ModuleNotFoundError, args: argparse.Namespace) -> CliError | None:
    top = (error.name or "").split(".")[0]
    for extra, modules in EXTRAS.items():
        if top in modules:
            return CliError(f"`{PROG} {args.command}` needs the {extra} extra ({top} is missing): "
                            f"pip install '{DIST}[{extra}]'")
    return None


def _run(args: argparse.Namespace) -> int:
    module_name, function_name = args.func.split(":")
    try:
        function: Callable[[argparse.Namespace], int] = getattr(importlib.import_module(module_name), function_name)
        return function(args)
    except ModuleNotFoundError as error:
        missing = _missing_extra(error, args)
        if missing is None:
            raise
        raise missing from None


def main(argv: Sequence[str] | None = None) -> int:
    try:
        args = build_parser().parse_args(argv)
        return _run(args)
    except CliError as error:
        sys.stderr.write(f"{PROG}: error: {error}\n")
        return error.code
    except KeyboardInterrupt:
        sys.stderr.write(f"{PROG}: interrupted\n")
        return 130
    except BrokenPipeError:
        return 0
