"""`hamstring voice` and `hamstring model download`."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from .errors import CliError
from .state_flags import state_choice
from .textio import lines

if TYPE_CHECKING:
    from local_voice.pipeline import Assistant
    from skill.conversation import Conversation


def check_inputs(paths: list[str]) -> None:
    """Every --input file read as the assistant will read it (local_voice.audio.read_wav), or a one-line CliError."""
    from local_voice.audio import AudioError, read_wav

    for path in paths:
        if not Path(path).is_file():
            raise CliError(f"cannot read audio {path}: no such file")
        try:
            read_wav(path)
        except AudioError as error:
            raise CliError(str(error)) from None


def cmd_voice(args: argparse.Namespace) -> int:
    from local_voice.asr import EngineError, choose_engine
    from local_voice.audio import AudioError
    from local_voice.noise import DEFAULT_NOISE, NoiseError, NoiseFrontEnd
    from local_voice.pipeline import Assistant
    from local_voice.sources import FileMicrophone, MicrophoneSource, SourceError
    from local_voice.tts import SilentSpeaker, make_speaker

    _check_arguments(args)
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
    if conversation.store is not None:  # where the saved place lives; nothing to say when nothing is kept
        note(conversation_note(args))
    noise = None
    if engine is not None and (args.noise or ("on" if DEFAULT_NOISE else "off")) == "on":
        try:
            noise = NoiseFrontEnd()
        except NoiseError as error:
            raise CliError(str(error)) from None
    # Our turns go to the real stdout; anything a speech library prints goes to stderr, so --json stays parseable.
    out, sys.stdout = sys.stdout, sys.stderr
    assistant = Assistant(engine, None if args.no_tts else speaker, as_json=args.json, tts_out=tts_out, out=out,
                          conversation=conversation, noise=noise)
    try:
        if args.input:
            assistant.run_files([Path(p) for p in args.input])
        elif args.text:
            _typed(assistant, note)
        else:
            try:
                source = FileMicrophone(Path(args.mic_file)) if args.mic_file else MicrophoneSource()
            except SourceError as error:
                note(f"{error}; type your questions instead (Ctrl-D to end)")
                _typed(assistant, note)
                return 0
            # Said with --json too (on stderr, as every note): the moment a script may start talking.
            print(f"listening on {source.description}; say 'stop' or press Ctrl-C to end", file=sys.stderr,
                  flush=True)
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
        conversation.close()
        sys.stdout = out
    return 0


def _check_arguments(args: argparse.Namespace) -> None:
    """Refused before anything loads, in one line."""
    if args.rate is not None and not 50 <= args.rate <= 500:
        raise CliError("--rate must be between 50 and 500 words a minute", 2)
    if sum(bool(choice) for choice in (args.input, args.mic_file, args.text)) > 1:
        raise CliError("choose one of --input, --mic-file and --text", 2)
    # What the command is given is checked before the recognizer loads (seconds): a bad audio file or state path
    # is one line at once, not after the load.
    check_inputs((args.input or []) + ([args.mic_file] if args.mic_file else []))
    try:
        state_choice(args)
    except ValueError as error:  # a state path that cannot be a file, a store the environment describes badly
        raise CliError(str(error)) from None
    if args.tts_out:
        # Checked before any turn: failing after the first answer would waste it, and a traceback is no answer.
        target = Path(args.tts_out)
        if target.is_dir():
            raise CliError(f"--tts-out {target} is a folder; give a file name such as answer.wav", 2)
        if not target.parent.is_dir():
            raise CliError(f"--tts-out: folder {target.parent} does not exist", 2)


def _conversation(args: argparse.Namespace) -> Conversation:
    """The same skill and store as `hamstring chat`: sessions resume from the saved place (--state, --no-state)."""
    from hamstring.state_flags import local_skill
    from skill.conversation import Conversation

    try:
        local = local_skill(args)
    except ValueError as error:
        raise CliError(str(error)) from None
    return Conversation(skill=local.invoke, store=local.store)


def conversation_note(args: argparse.Namespace) -> str:

    return state_choice(args).reason


def _typed(assistant: Assistant, note: Callable[[str], None]) -> None:
    if sys.stdin.isatty():
        note("type a question and press Enter")
    assistant.run_text(lines(sys.stdin.buffer))  # UTF-8 or a one-line error, as in `hamstring chat`


def cmd_model(args: argparse.Namespace) -> int:
    from local_voice.asr.vosk import vosk_cache_dir
    from local_voice.models import DEFAULT_MODEL, MODEL_LIST_URL, DownloadError, download

    name = args.name or DEFAULT_MODEL
    list_url = args.list_url or os.environ.get("VOSK_MODEL_LIST_URL") or MODEL_LIST_URL
    dest = Path(args.dest).expanduser() if args.dest else vosk_cache_dir()
    if dest.exists() and not dest.is_dir():
        raise CliError(f"--dest {dest} is a file, not a folder", 2)
    bar = None
    try:
        from tqdm import tqdm

        bar = tqdm(unit="B", unit_scale=True, desc=name, disable=not sys.stderr.isatty())

        def progress(done: int, total: int) -> None:
            bar.total = total or None
            bar.update(done - bar.n)

        path = download(name, dest, list_url, progress)
    except DownloadError as error:
        raise CliError(str(error)) from None
    except OSError as error:  # the destination: not writable, disk full, a file in the way
        raise CliError(f"cannot install into {dest}: {error.strerror or error}") from None
    finally:
        if bar is not None:
            bar.close()
    print(f"model ready: {path} (used automatically; or pass --model {path})")
    return 0
