"""`hamstring voice` and `hamstring model download`."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from skill.cli import CliError


def cmd_voice(args: argparse.Namespace) -> int:
    from .assistant import Assistant
    from .audio import AudioError
    from .engines import EngineError, choose_engine
    from .sources import MicrophoneSource, SourceError
    from .tts import SilentSpeaker, make_speaker

    if args.rate is not None and not 50 <= args.rate <= 500:
        raise CliError("--rate must be between 50 and 500 words a minute", 2)
    for path in args.input or []:
        if not Path(path).is_file():
            raise CliError(f"cannot read audio {path}: no such file")
    note = (lambda text: None) if args.json else (lambda text: print(text, file=sys.stderr, flush=True))
    try:
        engine = None if args.text else choose_engine(args.engine, args.model)
    except EngineError as error:
        raise CliError(str(error)) from None
    if engine is not None:
        note(f"speech recognition: {engine.description}")
        if engine.missing:
            note(f"note: words of the grammar missing from the model: {', '.join(engine.missing[:20])}")
    try:
        speaker = SilentSpeaker("--no-tts") if args.no_tts else make_speaker(args.voice, args.rate)
    except ValueError as error:
        raise CliError(str(error), 2) from None
    if not args.no_tts:
        note(f"speech output: {speaker.description}")
    tts_out = Path(args.tts_out) if args.tts_out else None
    conversation = _conversation(args)
    note(conversation_note(args))
    # Our turns go to the real stdout; anything a speech library prints goes to stderr, so --json stays parseable.
    out, sys.stdout = sys.stdout, sys.stderr
    assistant = Assistant(engine, None if args.no_tts else speaker, as_json=args.json, tts_out=tts_out, out=out,
                          conversation=conversation)
    try:
        if args.input:
            assistant.run_files([Path(p) for p in args.input])
        elif args.text:
            _typed(assistant, note)
        else:
            try:
                source = MicrophoneSource()
            except SourceError as error:
                note(f"{error}; type your questions instead (Ctrl-D to end)")
                _typed(assistant, note)
                return 0
            note(f"listening on {source.description}; say 'stop' or press Ctrl-C to end")
            assistant.listen(source, push_to_talk=args.push_to_talk,
                             wait_for_enter=lambda: input("(press Enter, then speak) "))
    except AudioError as error:
        raise CliError(str(error)) from None
    except SourceError as error:
        raise CliError(str(error)) from None
    except KeyboardInterrupt:
        note("stopped")
    except EOFError:
        pass
    finally:
        assistant.conversation.close()
        sys.stdout = out
    return 0


def _conversation(args: argparse.Namespace):
    """The same skill and store as `hamstring chat`: sessions resume from the saved place (--state, --no-state)."""
    from skill.conversation import Conversation
    from skill.frontends import local_skill

    try:
        local = local_skill(args)
    except ValueError as error:
        raise CliError(str(error)) from None
    return Conversation(skill=local.invoke, store=local.store)


def conversation_note(args: argparse.Namespace) -> str:
    from skill.frontends import state_choice

    return state_choice(args).reason


def _typed(assistant, note) -> None:
    if sys.stdin.isatty():
        note("type a question and press Enter")
    assistant.run_text(sys.stdin)


def cmd_model(args: argparse.Namespace) -> int:
    from .engines import vosk_cache_dir
    from .models import MODEL_LIST_URL, DownloadError, download

    list_url = args.list_url or os.environ.get("VOSK_MODEL_LIST_URL") or MODEL_LIST_URL
    dest = Path(args.dest).expanduser() if args.dest else vosk_cache_dir()
    bar = None
    try:
        from tqdm import tqdm

        bar = tqdm(unit="B", unit_scale=True, desc=args.name, disable=not sys.stderr.isatty())

        def progress(done: int, total: int) -> None:
            bar.total = total or None
            bar.update(done - bar.n)

        path = download(args.name, dest, list_url, progress)
    except DownloadError as error:
        raise CliError(str(error)) from None
    finally:
        if bar is not None:
            bar.close()
    print(f"model ready: {path} (used automatically; or pass --model {path})")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    from .models import DEFAULT_MODEL

    voice = sub.add_parser("voice", help="the offline voice assistant: microphone in, spoken answers out")
    voice.add_argument("--engine", choices=["auto", "vosk", "pocketsphinx"], default="auto",
                       help="speech recognizer (auto: Vosk when a model is found, else the bundled pocketsphinx)")
    voice.add_argument("--model", help="Vosk model folder (default: $VOSK_MODEL_PATH, then Vosk's cache folder)")
    voice.add_argument("--input", nargs="+", metavar="FILE", help="WAV files, one utterance each, instead of the mic")
    voice.add_argument("--text", action="store_true", help="type questions, hear spoken answers")
    voice.add_argument("--json", action="store_true", help="one JSON object per turn (chat contract + transcript, "
                                                           "engine, timings)")
    voice.add_argument("--no-tts", action="store_true", help="print answers only")
    voice.add_argument("--tts-out", metavar="FILE.wav", help="write the spoken answer to a WAV file instead")
    voice.add_argument("--voice", help="speech voice (a part of its id or name)")
    voice.add_argument("--rate", type=int, help="speech rate, words a minute")
    voice.add_argument("--push-to-talk", action="store_true", help="wait for Enter before each question")
    from skill.frontends import add_state_arguments

    add_state_arguments(voice)
    voice.set_defaults(func=cmd_voice)

    model = sub.add_parser("model", help="manage Vosk models")
    model_sub = model.add_subparsers(dest="model_command", required=True, parser_class=sub._parser_class)
    download = model_sub.add_parser("download", help="download a Vosk model from the official model list")
    download.add_argument("name", nargs="?", default=DEFAULT_MODEL)
    download.add_argument("--dest", help="folder to install into (default: Vosk's cache folder)")
    download.add_argument("--list-url", help="model list URL (default: $VOSK_MODEL_LIST_URL or the official list)")
    download.set_defaults(func=cmd_model)
