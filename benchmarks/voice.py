"""Offline voice benchmark: what the assistant does with spoken questions, per synthesizer family, noise and SNR.

    python -m benchmarks.voice [--engine pocketsphinx] [--families espeak flite] [--workers 2] [--noise on|off|both]
                               [--stride K] [--conditions clean babble18 ...] [--questions dev|heldout]
                               [--first-turns] [--all-evidence]

Speech: every item of the dev sets (tests/data/dev_utterances.yaml: topics, paraphrases and out-of-domain requests;
dev_answers.yaml: specific questions, some said after earlier turns, which are typed as context) and the template
sentences (tests/data/sentences.yaml, the in-grammar set), each spoken by two synthesizer families: espeak-ng
(formant) and flite (diphone/cluster unit, voice slt). Synthesis is cached in .cache/voice-bench. Noise is mixed the
way Picovoice's speech-to-intent benchmark mixes it: scaled so that the ratio of the peak 2048-sample frame energy of
the speech to that of the noise is the SNR. Noises: babble (other utterances of the same family, summed) and pink.

Per condition: in-grammar accuracy (templates: the intent heard is right and not rejected), paraphrase accuracy
(questions in domain: the candidate is right and not rejected), out-of-domain rejection (not answered with a domain
answer), and the three outcomes of all questions: answered right, confirmed or asked again, answered wrong. Plus
real-time factor, end-of-speech-to-answer latency and peak memory. Conditions run one after another (a room's noise
stays from turn to turn; the decoder's cepstral means adapt across utterances). `--first-turns` hears every item as
the first thing said after start-up instead, when the cepstral means have not adapted yet (voice-first.json/png).
Writes benchmarks/out/voice.png and voice.json (with every row, so the decision can be replayed offline: `--tune`
prints the sweep from the last dev voice.json; `--all-evidence` records the second opinion and the spotted red flag
on every turn, for replays of rules that would look at them elsewhere). Thresholds are tuned on the dev sets only;
`--questions heldout` speaks the held-out sets instead (voice-heldout.json/png), for reporting, never for tuning.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import multiprocessing
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import yaml

from tests.kit import voice_rows
from tests.kit.speech import FAMILIES, babble, mix, pink_noise, synthesize

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "benchmarks" / "out"
SNRS = (24, 18, 12, 6)
NOISES = ("babble", "pink")
CONDITIONS = ("clean",) + tuple(f"{noise}{snr}" for noise in NOISES for snr in SNRS)
TARGETS = {"in_grammar_clean": 0.98, "in_grammar_noisy": 0.95, "ood_clean": 0.90, "ood_6": 0.80,
           "wrong_clean": 0.05, "wrong_noisy": 0.10, "right_or_confirmed_clean": 0.90, "latency_ms": 300,
           "memory_mb": 300}


# -- main ------------------------------------------------------------------------------------------------------------
def skill_and_tts_ms(samples: list[str]) -> tuple[float, float]:
    """The skill's turn time and the time to synthesize an answer's first sentence (the start of speech)."""
    from local_voice.tts import make_speaker
    from skill.conversation import Conversation

    skill_times, tts_times = [], []
    speaker = make_speaker()
    with tempfile.TemporaryDirectory() as tmp:
        for text in samples:
            conversation = Conversation()
            request = conversation.understand(text)
            started = time.perf_counter()
            record = conversation.send(request, text)
            skill_times.append((time.perf_counter() - started) * 1000)
            first = record.speech.split(". ")[0] + "."
            started = time.perf_counter()
            try:
                speaker.save(first, Path(tmp) / "first.wav")
            except RuntimeError:
                pass
            tts_times.append((time.perf_counter() - started) * 1000)
    return statistics.median(skill_times), statistics.median(tts_times)


def app_peak_memory_mb(wav: Path) -> float:
    """Peak RSS of the real assistant process answering one spoken question, measured by a fresh parent whose only
    child it is (this process's own children include the benchmark's workers)."""
    probe = (
        "import resource, subprocess, sys; "
        f"subprocess.run([sys.executable, '-m', 'hamstring', 'voice', '--input', {str(wav)!r}, '--no-tts', '--json'], "
        "check=True, capture_output=True); "
        "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)"
    )
    out = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, check=True, capture_output=True, text=True).stdout
    return int(out.strip()) / 1024


QUESTION_SETS = {"dev": ("dev_utterances.yaml", "dev_answers.yaml"),
                 "heldout": ("heldout_utterances.yaml", "heldout_answers.yaml")}


def load_items(stride: int, questions: str = "dev") -> tuple[list[dict], list[dict]]:
    """The question items (dev, or the held-out sets never used for tuning) and the template sentences."""
    data = ROOT / "tests" / "data"
    dev = [item for name in QUESTION_SETS[questions]
           for item in yaml.safe_load((data / name).read_text(encoding="utf-8"))][::stride]
    templates = [{"text": s, "intent": case["intent"]["name"]}
                 for case in yaml.safe_load((data / "sentences.yaml").read_text(encoding="utf-8"))["tests"]
                 for s in case["sentences"] if not any(ch.isdigit() for ch in s)][::stride]
    return dev, templates


def condition_audio(audio: np.ndarray, condition: str, seed_text: str, pool: list[np.ndarray],
                    exclude: int = -1) -> np.ndarray:
    """The speech as heard in `condition`: clean, or mixed with babble (other utterances of the same family) or pink
    noise at the condition's SNR; the noise is seeded per item and condition, so every run hears the same."""
    if condition == "clean":
        return audio
    noise_name = condition.rstrip("0123456789")
    snr = int(condition[len(noise_name) :])
    seed = int(hashlib.sha1(f"{seed_text}{condition}".encode()).hexdigest()[:8], 16)
    if noise_name == "babble":
        others = [a for i, a in enumerate(pool) if i != exclude]
        return mix(audio, babble(others, len(audio), seed), snr)
    return mix(audio, pink_noise(len(audio), seed), snr)


def tasks_for(dev: list[dict], templates: list[dict], families: list[str], conditions: list[str]) -> list[tuple]:
    tasks = []
    for family in families:
        speech = [synthesize(item["text"], family) for item in dev]
        for index, audio in enumerate(speech):
            for condition in conditions:
                mixed = condition_audio(audio, condition, f"{index}{family}", speech, exclude=index)
                tasks.append(((family, condition, "question", index), mixed.astype(np.float32), dev[index]))
        for index, item in enumerate(templates):
            audio = synthesize(item["text"], family)
            for condition in conditions:
                tasks.append(((family, condition, "template", index), condition_audio(
                    audio, condition, f"t{index}{family}", speech).astype(np.float32),
                    {"text": item["text"], "intent": item["intent"]}))
    # One condition after another, as a user's room stays the same from turn to turn: the decoder's live cepstral
    # mean adapts across utterances, and alternating clean and 6 dB audio would measure a mismatch no user has.
    tasks.sort(key=lambda task: (task[0][0], CONDITIONS.index(task[0][1])))
    return tasks


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--engine", default="auto")
    parser.add_argument("--families", nargs="+", default=list(FAMILIES), choices=list(FAMILIES))
    parser.add_argument("--conditions", nargs="+", default=list(CONDITIONS), choices=list(CONDITIONS))
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--noise", choices=["on", "off", "both"], default="off",
                        help="the WebRTC noise front end (both: run twice and compare)")
    parser.add_argument("--stride", type=int, default=1, help="every K-th item only (a shorter, partial run)")
    parser.add_argument("--questions", choices=list(QUESTION_SETS), default="dev",
                        help="the question sets to speak: dev (tuned on) or heldout (only ever reported)")
    parser.add_argument("--all-evidence", action="store_true",
                        help="take the second opinion and spot red flags on every turn, for --tune (slower)")
    parser.add_argument("--first-turns", action="store_true",
                        help="hear every item as the first utterance after start-up (writes voice-first.json)")
    parser.add_argument("--tune", action="store_true", help="print the threshold sweep from the last voice.json")
    parser.add_argument("--red-flags", action="store_true", help="print the red-flag table from the last voice.json")
    parser.add_argument("--free-form", action="store_true",
                        help="replay rules for weighing the free-form pass on the last voice.json")
    args = parser.parse_args(argv)
    OUT.mkdir(parents=True, exist_ok=True)
    if args.tune or args.red_flags or args.free_form:
        rows = json.loads((OUT / "voice.json").read_text())["rows"]
        if args.tune:
            tune(rows)
        elif args.free_form:
            replay_free_form(rows)
        else:
            print_red_flags(rows)
        return 0
    dev, templates = load_items(args.stride, args.questions)
    if args.questions == "heldout":
        templates = []  # the in-grammar set is the same sentences either way: the dev run reports it
    started = time.perf_counter()
    tasks = tasks_for(dev, templates, args.families, args.conditions)
    print(f"{len(tasks)} decodes ({len(dev)} {args.questions} questions, {len(templates)} templates; families "
          f"{', '.join(args.families)}; prepared in {time.perf_counter() - started:.0f} s)", flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        from local_voice.audio import AudioChunk, write_wav

        probe = Path(tmp) / "probe.wav"
        write_wav(probe, AudioChunk.from_samples(synthesize(dev[0]["text"], args.families[0])).audio)
        memory = app_peak_memory_mb(probe)
    skill_ms, tts_ms = skill_and_tts_ms([d["text"] for d in dev[:40]])
    # Each setting is reported as soon as it is done: a long run interrupted still leaves what it measured.
    for setting in (["off", "on"] if args.noise == "both" else [args.noise]):
        started = time.perf_counter()
        initargs = (args.engine, setting == "on", args.all_evidence, args.first_turns)
        with multiprocessing.Pool(args.workers, initializer=voice_rows.init_worker, initargs=initargs) as pool:
            rows = pool.map(voice_rows.run_item, tasks, chunksize=2)
        report(rows, args, setting, time.perf_counter() - started, memory, skill_ms, tts_ms, len(dev))
    return 0


def summarize(rows: list[dict], outcome_of=lambda row: row["outcome"]) -> dict[str, float]:
    """The issue's measures for one set of rows. `outcome_of` lets --tune replay other thresholds."""

    def rate(chosen: list[dict], ok) -> float:
        return sum(bool(ok(r)) for r in chosen) / len(chosen) if chosen else float("nan")

    def answered_ok(r: dict) -> bool:  # out of domain: rejecting it is right too
        outcome = outcome_of(r)
        return (outcome == "answer" and r["right"]) or (r["kind"] == "out_of_domain" and outcome == "reject")

    def checked_right(r: dict) -> bool:  # a check that names the question asked: "yes" hears the right answer
        return outcome_of(r) == "confirm" and r["right"] and r["kind"] != "out_of_domain"

    def heard_right(r: dict) -> bool:  # the candidate is right and not dropped (answered, or confirmed)
        return outcome_of(r) != "reject" and r["right"]

    dev = [r for r in rows if r["key"][2] == "question"]
    in_domain = [r for r in dev if r["kind"] != "out_of_domain"]
    return {
        "in_grammar": rate([r for r in rows if r["kind"] == "template"], heard_right),
        "paraphrase": rate(in_domain, heard_right),
        "ood_rejected": rate([r for r in dev if r["kind"] == "out_of_domain"], answered_ok),
        "answered_right": rate(dev, answered_ok),
        "confirmed_or_asked": rate(dev, lambda r: not answered_ok(r) and outcome_of(r) != "answer"),
        "answered_wrong": rate(dev, lambda r: outcome_of(r) == "answer" and not answered_ok(r)),
        "checked_right": rate(dev, checked_right),
        "right_or_checked": rate(dev, lambda r: answered_ok(r) or checked_right(r)),
        "ends_in_answer": rate(dev, lambda r: outcome_of(r) == "answer"),
        "n": len(dev),
    }


def report(rows: list[dict], args, setting: str, wall: float, memory: float, skill_ms: float, tts_ms: float,
           dev_count: int) -> None:
    from local_voice.asr import choose_engine

    engine = choose_engine(args.engine).description
    table = {name: summarize(chosen) for name, chosen in by_condition(rows, args).items()}
    rtf = sum(r["decode_s"] for r in rows) / sum(r["audio_s"] for r in rows)
    final_ms = statistics.median(r["final_ms"] for r in rows)
    nlu_ms = statistics.median(r["nlu_ms"] for r in rows)
    latency = final_ms + nlu_ms + skill_ms + tts_ms
    # The second opinion's pass runs only for the turns in the middle band: their own latency, apart.
    rechecked = [r for r in rows if r["agreed"] is not None]
    recheck_latency = (statistics.median(r["final_ms"] + r["nlu_ms"] for r in rechecked) + skill_ms + tts_ms
                       if rechecked else None)
    print(f"\nengine: {engine}; noise front end {setting}; {dev_count} {args.questions} questions "
          f"(stride {args.stride}); {len(rows)} decodes in {wall:.0f} s")
    if any("outcome_before" in r for r in rows):
        print("before the free-form pass (the same decodings, decided without it):")
        print_table({name: summarize(chosen) for name, chosen in by_condition(before_free_form(rows), args).items()})
        print("with it:")
    print_table(table)
    print_noise_means(table, args.families)
    print(f"real-time factor {rtf:.3f}; latency end of speech -> answer starts: {latency:.0f} ms "
          f"(transcript {final_ms:.0f} + matcher and decision {nlu_ms:.1f} + skill {skill_ms:.1f} + first sentence "
          f"TTS {tts_ms:.0f}); {len(rechecked) / len(rows):.0%} of turns took a second opinion, and for them "
          f"{recheck_latency or 0:.0f} ms; peak memory of `hamstring voice` {memory:.0f} MB")
    print_red_flags(rows)
    misses = [r for r in rows if r["key"][1] == "clean" and r["outcome"] == "answer" and not r["right"]]
    for miss in misses[:12]:
        print(f"  clean wrong answer ({miss['key'][0]}): {miss['text']!r} heard {miss['heard']!r} -> "
              f"{miss['given']} (expected {miss['expected']}, confidence {miss['confidence']:.2f})")
    name = output_name(args.questions, setting, args.first_turns) + ".json"
    (OUT / name).write_text(json.dumps({
        "engine": engine, "families": args.families, "noise": setting, "stride": args.stride, "table": table,
        "rtf": rtf, "latency_ms": latency, "recheck_latency_ms": recheck_latency, "memory_mb": memory,
        "rows": rows}, indent=1))
    plot(table, args.families, engine, setting, output_name(args.questions, setting, args.first_turns) + ".png")


def by_condition(rows: list[dict], args) -> dict[str, list[dict]]:
    return {f"{family} {condition}": chosen for family in args.families for condition in args.conditions
            if (chosen := [r for r in rows if r["key"][0] == family and r["key"][1] == condition])}


def before_free_form(rows: list[dict]) -> list[dict]:
    """The rows as the decision without the free-form pass took them (recorded beside the decision with it)."""
    return [r | {"outcome": r["outcome_before"], "right": r["right_before"], "given": r["given_before"],
                 "red_flag": r["given_before"].startswith("rf_")} if "outcome_before" in r else r for r in rows]


def print_table(table: dict[str, dict[str, float]]) -> None:
    header = (f"{'condition':<18}{'in-gram':>8}{'paraph':>8}{'OOD rej':>8}{'right':>8}{'conf/ask':>9}{'wrong':>8}"
              f"{'chk rt':>8}{'rt+chk':>8}{'answ':>7}{'n':>5}")
    print(header)
    for name, row in table.items():
        print(f"{name:<18}{row['in_grammar']:>8.1%}{row['paraphrase']:>8.1%}{row['ood_rejected']:>8.1%}"
              f"{row['answered_right']:>8.1%}{row['confirmed_or_asked']:>9.1%}{row['answered_wrong']:>8.1%}"
              f"{row['checked_right']:>8.1%}{row['right_or_checked']:>8.1%}{row['ends_in_answer']:>7.1%}"
              f"{row['n']:>5.0f}")


def print_noise_means(table: dict[str, dict[str, float]], families: list[str]) -> None:
    """The issue's noisy measure: the mean over the noisy conditions run (24 to 6 dB), per family."""
    for family in families:
        noisy = [row for name, row in table.items() if name.startswith(f"{family} ") and not name.endswith("clean")]
        if noisy:
            print(f"{family} mean over {len(noisy)} noisy conditions: right + checked right "
                  f"{statistics.mean(r['right_or_checked'] for r in noisy):.1%}, answered wrong "
                  f"{statistics.mean(r['answered_wrong'] for r in noisy):.1%}")


def red_flags(rows: list[dict]) -> tuple[int, int, int, int]:
    """Red-flag questions heard as a red flag (answered or checked, never dropped), of all red-flag questions; and
    other questions that raised a red-flag candidate, of all other questions."""
    questions = [r for r in rows if r["key"][2] == "question"]
    flagged = [r for r in questions if r["expected"].startswith("rf_")]
    others = [r for r in questions if not r["expected"].startswith("rf_")]
    heard = sum(r["red_flag"] and r["outcome"] != "reject" for r in flagged)
    return heard, len(flagged), sum(r["red_flag"] for r in others), len(others)


def print_red_flags(rows: list[dict]) -> None:
    families = sorted({r["key"][0] for r in rows})
    conditions = [c for c in CONDITIONS if any(r["key"][1] == c for r in rows)]
    print("red flags heard (answered or checked) / red-flag questions; false red-flag candidates / other questions")
    for family in families:
        cells = []
        for condition in conditions:
            heard, flagged, false, others = red_flags([r for r in rows
                                                       if tuple(r["key"][:2]) == (family, condition)])
            cells.append(f"{condition} {heard}/{flagged}, {false}/{others}")
        print(f"  {family}: " + "; ".join(cells))


def tune(rows: list[dict]) -> None:
    """Replays the assistant's decision on the stored evidence for a grid of thresholds, and prints the settings
    that meet the most targets on these (dev) rows, clean and noisy. The run took the second opinion only inside its
    own band (AGREED_ANSWER_AT to DISPUTED_ANSWER_AT, at its phone-error weight), so the grid stays inside that band
    and at that weight: anything else would replay rows whose second opinion was never taken."""
    from local_voice.confidence import AGREED_ANSWER_AT, CONFIRM_AT, DISPUTED_ANSWER_AT, Thresholds, outcome_for

    def decider(thresholds: Thresholds):
        def outcome_of(r: dict) -> str:
            if r.get("spotted"):  # a red flag spotted on a turn the run did not answer: checked at any threshold
                return "confirm"
            if not r["heard"] or r["lr"] is None:
                return "reject"
            return outcome_for(r["confidence"], r["red_flag"], thresholds, bool(r.get("agreed"))).value
        return outcome_of

    clean = [r for r in rows if r["key"][1] == "clean"]
    noisy = [r for r in rows if r["key"][1] != "clean"]
    results = []
    for agreed_at in sorted({AGREED_ANSWER_AT, 0.2, 0.3, 0.4, 0.5}):
        for disputed_at in sorted({0.5, 0.6, 0.7, 0.8, DISPUTED_ANSWER_AT}):
            for confirm_at in (0.02, 0.05, 0.08, 0.12, 0.16, 0.2, 0.3):
                if not AGREED_ANSWER_AT <= agreed_at <= disputed_at <= DISPUTED_ANSWER_AT or confirm_at > agreed_at:
                    continue
                thresholds = Thresholds(confirm_at=confirm_at, agreed_answer_at=agreed_at,
                                        disputed_answer_at=disputed_at)
                rule = decider(thresholds)
                c, n = summarize(clean, rule), summarize(noisy, rule) if noisy else None
                met = sum([c["in_grammar"] >= TARGETS["in_grammar_clean"], c["ood_rejected"] >= TARGETS["ood_clean"],
                           c["answered_wrong"] <= TARGETS["wrong_clean"],
                           1 - c["answered_wrong"] >= TARGETS["right_or_confirmed_clean"]])
                score = c["answered_right"] - 2 * c["answered_wrong"]
                results.append((met, score, agreed_at, disputed_at, confirm_at, c, n))
    results.sort(key=lambda x: (x[0], x[1]), reverse=True)
    print(f"now: answer at {AGREED_ANSWER_AT} agreed / {DISPUTED_ANSWER_AT} disputed, confirm at {CONFIRM_AT}")
    print(f"{'agreed':>7}{'disput':>7}{'confirm':>8} | clean: {'in-gram':>8}{'OOD rej':>8}{'right':>7}{'wrong':>7}"
          f" | noisy: {'in-gram':>8}{'OOD rej':>8}{'right':>7}{'wrong':>7}")
    for _, _, agreed_at, disputed_at, confirm_at, c, n in results[:15]:
        noisy_part = (f"{n['in_grammar']:>8.1%}{n['ood_rejected']:>8.1%}{n['answered_right']:>7.1%}"
                      f"{n['answered_wrong']:>7.1%}" if n else "")
        print(f"{agreed_at:>7.2f}{disputed_at:>7.2f}{confirm_at:>8.2f} | clean: {c['in_grammar']:>8.1%}"
              f"{c['ood_rejected']:>8.1%}{c['answered_right']:>7.1%}{c['answered_wrong']:>7.1%} | noisy: {noisy_part}")


def replay_free_form(rows: list[dict]) -> None:
    """Replays rules for weighing the free-form pass on the stored evidence (a dev voice.json run with it): where the
    decision without it would not answer, answer when both readings ask for the same thing, and check the free-form
    reading when it is found by one of `methods`; each row's candidates were scored in the run."""
    def rule(agree: bool, methods: tuple[str, ...], answer_methods: tuple[str, ...] = ()):
        def replayed(r: dict) -> dict:
            if "outcome_before" not in r:
                return r
            before = r | {"outcome": r["outcome_before"], "right": r["right_before"], "given": r["given_before"]}
            if r["outcome_before"] == "answer" or not r.get("free_intent"):
                return before
            if agree and r["free_same"]:
                return before | {"outcome": "answer"}
            if r["given_before"].startswith("rf_") and r["outcome_before"] == "confirm":
                return before  # a red flag is checked as heard
            free = before | {"right": r["free_right"], "given": r["free_given"]}
            if r["free_method"] in answer_methods:
                return free | {"outcome": "answer"}
            if r["free_method"] in methods or r["free_given"].startswith("rf_"):
                return free | {"outcome": "confirm"}
            return before
        return replayed

    every = ("template", "red_flag", "open", "spotted", "similar", "semantic")
    rules = {"without": rule(False, ()), "agree only": rule(True, ()), "agree + check any": rule(True, every),
             "agree + check template/semantic": rule(True, ("template", "red_flag", "semantic")),
             "agree + check all but similar": rule(True, ("template", "red_flag", "open", "spotted", "semantic")),
             "agree + answer template + check rest": rule(True, every, ("template",))}
    for condition_group in ("clean", "noisy"):
        chosen = [r for r in rows if (r["key"][1] == "clean") == (condition_group == "clean")]
        if not chosen:
            continue
        print(f"{condition_group}: {'rule':<38}" + "".join(f"{f + ' rt+chk':>15}{'wrong':>7}{'OOD':>7}"
                                                          for f in FAMILIES))
        for name, replay in rules.items():
            cells = ""
            for family in FAMILIES:
                m = summarize([replay(r) for r in chosen if r["key"][0] == family])
                cells += f"{m['right_or_checked']:>15.1%}{m['answered_wrong']:>7.1%}{m['ood_rejected']:>7.1%}"
            print(f"{'':<7}{name:<38}{cells}")


def output_name(questions: str, setting: str, first_turns: bool = False) -> str:
    """voice (the dev run --tune reads), voice-heldout, -noise for runs with the noise front end on, and -first for
    first turns."""
    return ("voice" + ("-heldout" if questions == "heldout" else "") + ("-noise" if setting == "on" else "")
            + ("-first" if first_turns else ""))


def plot(table: dict[str, dict[str, float]], families: list[str], engine: str, setting: str, name: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(1, 2, figsize=(11, 4.5))
    for family, marker in zip(families, "os", strict=False):
        for noise, style in zip(NOISES, ("-", "--"), strict=False):
            points = [(snr, table.get(f"{family} {noise}{snr}")) for snr in SNRS]
            xs = [snr for snr, row in points if row]
            if not xs:
                continue
            for axis, field in zip(axes, ("answered_right", "answered_wrong"), strict=False):
                axis.plot(xs, [100 * row[field] for _, row in points if row], marker=marker, linestyle=style,
                          label=f"{family} {noise}")
        clean = table.get(f"{family} clean")
        if clean:
            for axis, field in zip(axes, ("answered_right", "answered_wrong"), strict=False):
                axis.axhline(100 * clean[field], linestyle=":", linewidth=0.8)
    for axis, title in zip(axes, ("answered right (%)", "answered wrong (%)"), strict=False):
        axis.set_xlabel("SNR (dB)")
        axis.set_ylabel(title)
        axis.set_xticks(SNRS)
        axis.invert_xaxis()
        axis.grid(alpha=0.3)
        axis.legend(fontsize=7)
    figure.suptitle(f"Hamstring Cramp Helper offline: {engine.split(' (')[0]}, {name.split('.')[0]}, "
                    f"noise front end {setting}")
    figure.tight_layout()
    figure.savefig(OUT / name, dpi=110)


if __name__ == "__main__":
    sys.exit(main())
