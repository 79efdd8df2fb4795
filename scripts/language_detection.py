"""Measure language detectors on short questions: which keeps English English, which finds the rest.

Sets: xsid's requests in 13 languages (for da, kk, lt, sr and id, outside the multilingual
encoder, only "not English" counts); English questions of clinc150, stackfaq and covidfaq
(``--sample`` of each, seeded); the English ``docs/eval/*.queries.jsonl`` and the translated
ones (their ``lang``); short English messages and short questions in the 14 other supported
languages written below, and a second list of short English messages written before any rule
and never used to choose one (``short English, held out``).

Detectors: lingua (when installed; it is no dependency of askbot) and py3langid as they come,
then ``askbot.language``'s rules added one at a time on py3langid, ``askbot.language`` at other
English odds, and the same rules over lingua. Costs (build time, RSS growth, single-thread
latency after a warm-up pass) are measured in a fresh process per detector, the libraries
already imported.

    python scripts/language_detection.py [--datasets ../shared/datasets] [--sample 1000]
        [--seed 0] [--no-cost]
"""

from __future__ import annotations

import argparse
import gc
import importlib.util
import json
import random
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from askbot.language import (
    DETECTED,
    MAX_CHARS,
    SUPPORTED,
    LanguageDetector,
    count_letters,
    english_word_share,
    is_latin,
    strip_names,
)

REPO = Path(__file__).resolve().parent.parent
HAVE_LINGUA = importlib.util.find_spec("lingua") is not None
OUTSIDE_ENCODER = ("da", "id", "kk", "lt", "sr")
ENGLISH_SOURCES = ("clinc150", "stackfaq", "covidfaq")
LINGUA_21 = sorted(SUPPORTED | {"da", "sv", "nb", "nn", "id", "ms"})

SHORT_ENGLISH = [
    "why?", "hello", "and the US?", "what about china?", "is it safe?", "NATO?", "ok thanks",
    "hi", "hey", "thanks!", "thank you", "yes", "no", "ok", "sure", "how?", "when?", "where?",
    "who?", "really?", "why not?", "and Japan?", "what about Korea?", "and Seoul?",
    "tell me more", "more please", "got it", "great, thanks", "good morning", "bye", "sorry?",
    "is it free?", "how much?", "can I vote?", "who won?", "what now?", "any news?", "help",
    "the EU?", "in Paris?", "same for Germany?", "and Tokyo?", "Covid?", "what is NATO",
    "is that true?", "ok cool", "nope", "lol", "BK-250?", "the kettle?", "Macron?", "Berlin?",
    "Kishida?",
]  # fmt: skip
# Written before any rule was tried, and never looked at while choosing.
SHORT_ENGLISH_HELD_OUT = [
    "thanks a lot", "ok got it", "why is that?", "and Canada?", "what about the UK?",
    "is it legal?", "how so?", "since when?", "for how long?", "no thanks", "yes please",
    "hello there", "hi again", "good evening", "cheers", "awesome", "makes sense", "not sure",
    "what else?", "anything else?", "who said that?", "is that all?", "where exactly?",
    "and Russia?", "what about trade?", "any update?", "and the price?", "can you repeat?",
    "I see", "oh no", "wow", "seriously?", "how come?", "and then?", "OK", "Thanks", "Hello!",
    "what about Tokyo?", "is Seoul safe?", "the G7?",
]  # fmt: skip
SHORT_OTHER = {
    "fr": ["Pourquoi ?", "C'est gratuit ?", "Quand est-ce que je peux voter ?",
           "Où se trouve le bureau de vote ?", "Est-ce que c'est dangereux ?", "Merci beaucoup",
           "Et le Japon ?", "Comment ça marche ?"],
    "es": ["¿Por qué?", "¿Es seguro?", "¿Cuándo puedo votar?",
           "¿Dónde está el colegio electoral?", "Gracias", "¿Y Japón?", "¿Cómo funciona?",
           "¿Cuánto cuesta?"],
    "pt": ["Por quê?", "É seguro?", "Quando posso votar?", "Onde fica a seção eleitoral?",
           "Obrigado", "E o Japão?", "Como funciona?", "Quanto custa?"],
    "pl": ["Dlaczego?", "Czy to bezpieczne?", "Kiedy mogę głosować?",
           "Gdzie jest lokal wyborczy?", "Dziękuję", "A Japonia?", "Jak to działa?",
           "Ile to kosztuje?"],
    "ru": ["Почему?", "Это безопасно?", "Когда я могу проголосовать?",
           "Где находится избирательный участок?", "Спасибо", "А Япония?",
           "Как это работает?", "Сколько это стоит?"],
    "ko": ["왜?", "안전한가요?", "언제 투표할 수 있나요?", "투표소는 어디에 있나요?", "감사합니다",
           "일본은요?", "어떻게 작동하나요?", "얼마예요?"],
    "th": ["ทำไม", "ปลอดภัยไหม", "ฉันจะไปเลือกตั้งได้เมื่อไร", "หน่วยเลือกตั้งอยู่ที่ไหน", "ขอบคุณ",
           "แล้วญี่ปุ่นล่ะ", "ใช้งานอย่างไร", "ราคาเท่าไร"],
    "de": ["Warum?", "Ist das sicher?", "Wann kann ich wählen?", "Wo ist mein Wahllokal?",
           "Danke schön", "Und Japan?", "Wie funktioniert das?", "Was kostet das?"],
    "it": ["Perché?", "È sicuro?", "Quando posso votare?", "Dov'è il seggio elettorale?",
           "Grazie mille", "E il Giappone?", "Come funziona?", "Quanto costa?"],
    "nl": ["Waarom?", "Is het veilig?", "Wanneer kan ik stemmen?", "Waar is het stembureau?",
           "Dank je wel", "En Japan?", "Hoe werkt het?", "Wat kost het?"],
    "tr": ["Neden?", "Güvenli mi?", "Ne zaman oy verebilirim?", "Oy verme yeri nerede?",
           "Teşekkürler", "Peki Japonya?", "Nasıl çalışıyor?", "Ne kadar?"],
    "ja": ["なぜ？", "安全ですか？", "いつ投票できますか？", "投票所はどこですか？", "ありがとう",
           "日本は？", "どうやって動くの？", "いくらですか？"],
    "zh": ["为什么？", "安全吗？", "我什么时候可以投票？", "投票站在哪里？", "谢谢", "那日本呢？",
           "这是怎么运作的？", "多少钱？"],
    "ar": ["لماذا؟", "هل هو آمن؟", "متى يمكنني التصويت؟", "أين مركز الاقتراع؟", "شكرا",
           "وماذا عن اليابان؟", "كيف يعمل؟", "كم يكلف؟"],
}  # fmt: skip

Detect = Callable[[str], "str | None"]


@dataclass(frozen=True)
class Group:
    """Questions of one source in one language."""

    name: str
    language: str
    texts: list[str]


def read_jsonl(path: Path) -> list[dict[str, object]]:
    """The records of a JSON-lines file."""
    with path.open(encoding="utf-8") as lines:
        return [json.loads(line) for line in lines if line.strip()]


def load_groups(datasets: Path, sample: int, seed: int) -> list[Group]:
    """Every measured group of questions, in table order."""
    rng = random.Random(seed)
    groups: list[Group] = []
    for source in ENGLISH_SOURCES:
        texts = [str(r["query"]) for r in read_jsonl(datasets / source / "queries.jsonl")]
        groups.append(Group(source, "en", rng.sample(texts, min(sample, len(texts)))))
    evals: dict[str, list[str]] = {}
    for path in sorted((REPO / "docs" / "eval").glob("*.queries.jsonl")):
        for record in read_jsonl(path):
            evals.setdefault(str(record.get("lang", "en")), []).append(str(record["query"]))
    groups.append(Group("docs/eval", "en", evals.pop("en", [])))
    xsid = read_jsonl(datasets / "xsid" / "queries.jsonl")
    groups.append(Group("xsid/en", "en", [str(r["query"]) for r in xsid if r["lang"] == "en"]))
    groups.append(Group("short English", "en", SHORT_ENGLISH))
    groups.append(Group("short English, held out", "en", SHORT_ENGLISH_HELD_OUT))
    for language in sorted({str(r["lang"]) for r in xsid} - {"en"}):
        texts = [str(r["query"]) for r in xsid if r["lang"] == language]
        groups.append(Group(f"xsid/{language}", language, texts))
    for language, texts in SHORT_OTHER.items():
        groups.append(Group(f"short/{language}", language, texts))
    for language, texts in sorted(evals.items()):
        groups.append(Group(f"docs/eval/{language}", language, texts))
    return groups


def lingua_detector(codes: list[str] | None, low_accuracy: bool = False) -> object:
    """A preloaded lingua detector over ``codes`` (all 75 languages when None)."""
    from lingua import IsoCode639_1, LanguageDetectorBuilder

    builder = (
        LanguageDetectorBuilder.from_all_languages()
        if codes is None
        else LanguageDetectorBuilder.from_iso_codes_639_1(
            *[IsoCode639_1.from_str(code.upper()) for code in codes]
        )
    )
    if low_accuracy:
        builder = builder.with_low_accuracy_mode()
    return builder.with_preloaded_language_models().build()


def lingua_plain(codes: list[str] | None, low_accuracy: bool = False) -> Detect:
    """lingua's own answer."""
    detector = lingua_detector(codes, low_accuracy)

    def detect(text: str) -> str | None:
        language = detector.detect_language_of(text)  # type: ignore[attr-defined]
        return None if language is None else str(language.iso_code_639_1.name.lower())

    return detect


def langid_plain(codes: list[str] | None) -> Detect:
    """py3langid's own answer (``zxx``, "no language", is None)."""
    import py3langid.langid as langid

    identifier = langid.LanguageIdentifier.from_model_file(langid.MODEL_FILE, norm_probs=True)
    if codes is not None:
        identifier.set_languages(codes)

    def detect(text: str) -> str | None:
        language = str(identifier.classify(text)[0])
        return None if language == "zxx" else language

    return detect


class LinguaRules(LanguageDetector):
    """``askbot.language``'s rules with lingua's probabilities in place of py3langid's."""

    def __init__(self, english_odds: float) -> None:
        super().__init__(english_odds=english_odds)
        codes = sorted({"nb" if code == "no" else code for code in DETECTED})
        self._lingua = lingua_detector(codes)

    def rank(self, text: str) -> list[tuple[str, float]]:
        values = self._lingua.compute_language_confidence_values(text)  # type: ignore[attr-defined]
        ranked = [(v.language.iso_code_639_1.name.lower(), float(v.value)) for v in values]
        return ranked if any(code == "en" for code, _ in ranked) else [*ranked, ("en", 0.0)]


def staged(
    detector: LanguageDetector,
    *,
    scripts: bool,
    names: bool,
    words: bool,
    odds: float,
    minimum: float = 0.0,
) -> Detect:
    """``LanguageDetector.detect`` with some of its rules left out (for the ablation rows)."""

    def detect(text: str) -> str | None:
        text = text[:MAX_CHARS]
        latin, other = count_letters(text)
        if latin + other == 0:
            return None
        if scripts and other >= 2 and other >= 0.1 * (latin + other):
            text = "".join(" " if c.isalpha() and is_latin(c) else c for c in text)
            return detector.rank(text)[0][0]
        scored, kept = strip_names(text) if names else (text, text.lower().split())
        if names and not kept:
            return None
        if words and english_word_share(kept) >= 0.5:
            return "en"
        ranked = detector.rank(scored)
        language, probability = ranked[0]
        english = next(p for code, p in ranked if code == "en")
        if language != "en" and (probability < odds * english or probability < minimum):
            return None
        return language

    return detect


def candidates(only: str | None = None) -> dict[str, Callable[[], Detect]]:
    """Every detector measured, by row name, each built only when called."""

    def our_detector(odds: float) -> Callable[[], Detect]:
        def build() -> Detect:
            detector = LanguageDetector(english_odds=odds)
            return lambda text: detector.detect(text).language

        return build

    def step(minimum: float = 0.0, **rules: bool) -> Callable[[], Detect]:
        def build() -> Detect:
            return staged(LanguageDetector(), odds=1.0, minimum=minimum, **rules)

        return build

    def lingua_rules(odds: float) -> Callable[[], Detect]:
        def build() -> Detect:
            detector = LinguaRules(odds)
            return lambda text: detector.detect(text).language

        return build

    rows: dict[str, Callable[[], Detect]] = {}
    if HAVE_LINGUA:
        rows["lingua, 75 languages"] = lambda: lingua_plain(None)
        rows["lingua, 75 languages, low accuracy"] = lambda: lingua_plain(None, low_accuracy=True)
        rows["lingua, 21 languages"] = lambda: lingua_plain(LINGUA_21)
        rows["lingua, 21 languages, low accuracy"] = lambda: lingua_plain(LINGUA_21, True)
    rows |= {
        "py3langid, 140 languages": lambda: langid_plain(None),
        f"py3langid, DETECTED ({len(DETECTED)})": lambda: langid_plain(sorted(DETECTED)),
        "+ other scripts judged alone": step(scripts=True, names=False, words=False),
        "+ names left out": step(scripts=True, names=True, words=False),
        "+ English words -> en": step(scripts=True, names=True, words=True),
    }
    for minimum in (0.5, 0.9):
        rows[f"+ English words, minimum probability {minimum:g} (no odds)"] = step(
            minimum, scripts=True, names=True, words=True
        )
    for odds in (2.0, 3.0, 5.0, 8.0):
        label = "askbot.language" if odds == 5.0 else f"askbot.language, English odds {odds:g}"
        rows[label] = our_detector(odds)
    for odds in (1.0, 3.0, 5.0) if HAVE_LINGUA else ():
        rows[f"same rules over lingua ({len(DETECTED)}), English odds {odds:g}"] = lingua_rules(
            odds
        )
    return rows if only is None else {only: rows[only]}


def outcomes(detect: Detect, groups: list[Group]) -> dict[str, list[str | None]]:
    """Each group's detected languages."""
    return {group.name: [detect(text) for text in group.texts] for group in groups}


def not_english(found: list[str | None]) -> float:
    """Share detected as a language other than English (None counts as English)."""
    return sum(language not in (None, "en") for language in found) / len(found)


def exact(found: list[str | None], language: str) -> float:
    """Share detected as ``language``."""
    return sum(code == language for code in found) / len(found)


def english_table(results: dict[str, dict[str, list[str | None]]], groups: list[Group]) -> str:
    """English questions detected as another language (%)."""
    english = [g for g in groups if g.language == "en"]
    header = ["detector", *[f"{g.name} ({len(g.texts)})" for g in english], "pooled"]
    lines = [_row(header), _row(["---"] * len(header))]
    for name, found in results.items():
        pooled = [code for g in english for code in found[g.name]]
        cells = [f"{100 * not_english(found[g.name]):.2f}" for g in english]
        lines.append(_row([name, *cells, f"{100 * not_english(pooled):.2f}"]))
    return "\n".join(lines)


def other_table(
    results: dict[str, dict[str, list[str | None]]], groups: list[Group], prefix: str
) -> str:
    """Non-English questions: share detected as not English / as their own language."""
    chosen = [g for g in groups if g.name.startswith(prefix) and g.language != "en"]
    header = ["detector", *[f"{g.language} ({len(g.texts)})" for g in chosen], "mean"]
    lines = [_row(header), _row(["---"] * len(header))]
    for name, found in results.items():
        cells, shares, rights = [], [], []
        for group in chosen:
            share = not_english(found[group.name])
            shares.append(share)
            if group.language in OUTSIDE_ENCODER and prefix == "xsid/":
                cells.append(f"{share:.2f}")
            else:
                right = exact(found[group.name], group.language)
                rights.append(right)
                cells.append(f"{share:.2f} / {right:.2f}")
        mean = f"{sum(shares) / len(shares):.3f} / {sum(rights) / len(rights):.3f}"
        lines.append(_row([name, *cells, mean]))
    return "\n".join(lines)


def outcome_table(found: dict[str, list[str | None]], groups: list[Group]) -> str:
    """One detector's answers per group: English, unsure (None), the group's own, another."""
    header = ["group", "en", "None", "own language", "another", "English taken for another"]
    lines = [_row(header), _row(["---"] * len(header))]
    for group in groups:
        codes = found[group.name]
        share = {
            "en": sum(c == "en" for c in codes),
            "None": sum(c is None for c in codes),
            "own": sum(c == group.language != "en" for c in codes),
        }
        other = len(codes) - sum(share.values())
        wrong = [
            f"{text!r} -> {code}"
            for text, code in zip(group.texts, codes, strict=True)
            if group.language == "en" and code not in (None, "en")
        ]
        cells = [f"{share[key] / len(codes):.3f}" for key in ("en", "None", "own")]
        lines.append(_row([group.name, *cells, f"{other / len(codes):.3f}", "; ".join(wrong)]))
    return "\n".join(lines)


def _row(cells: list[str]) -> str:
    return "| " + " | ".join(cells) + " |"


def rss_mb() -> float:
    """This process's resident set size in MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def measure_cost(name: str, groups: list[Group]) -> dict[str, float]:
    """Build one detector in this (fresh) process and time it on every text, one thread."""
    build = candidates(name)[name]
    if HAVE_LINGUA:
        import lingua  # noqa: F401  (imported before measuring, like py3langid and numpy)
    before, start = rss_mb(), time.perf_counter()
    detect = build()
    loaded = time.perf_counter() - start
    texts = [text for group in groups for text in group.texts]
    for text in texts:  # warm-up: lazy parts loaded, caches filled
        detect(text)
    gc.collect()
    times = []
    for text in texts:
        begin = time.perf_counter_ns()
        detect(text)
        times.append(time.perf_counter_ns() - begin)
    times.sort()
    return {
        "load_s": loaded,
        "rss_mb": rss_mb() - before,
        "p50_us": times[len(times) // 2] / 1000,
        "p99_us": times[int(len(times) * 0.99)] / 1000,
    }


def cost_table(names: list[str], argv: list[str]) -> str:
    """Costs of each detector, each measured in a fresh interpreter."""
    header = ["detector", "build (s)", "RSS growth (MB)", "p50 (µs)", "p99 (µs)"]
    lines = [_row(header), _row(["---"] * len(header))]
    for name in names:
        command = [sys.executable, __file__, *argv, "--cost", name]
        output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
        cost = json.loads(output.strip().splitlines()[-1])
        lines.append(
            _row(
                [
                    name,
                    f"{cost['load_s']:.2f}",
                    f"{cost['rss_mb']:.0f}",
                    f"{cost['p50_us']:.0f}",
                    f"{cost['p99_us']:.0f}",
                ]
            )
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", type=Path, default=REPO.parent / "shared" / "datasets")
    parser.add_argument("--sample", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--no-cost", action="store_true", help="skip the cost table")
    parser.add_argument("--cost", help=argparse.SUPPRESS)  # one detector's costs, as JSON
    args = parser.parse_args()
    groups = load_groups(args.datasets, args.sample, args.seed)
    if not HAVE_LINGUA and not args.cost:
        print("no lingua: its rows are left out (pip install lingua-language-detector)")
    if args.cost:
        print(json.dumps(measure_cost(args.cost, groups)))
        return

    results = {}
    for name, build in candidates().items():
        results[name] = outcomes(build(), groups)
        gc.collect()
    ours = LanguageDetector()
    rules = staged(ours, scripts=True, names=True, words=True, odds=5.0)
    texts = [text for group in groups for text in group.texts]
    assert all(rules(t) == ours.detect(t).language for t in texts), "staged() drifted from detect"

    print("## English questions detected as another language (%)\n")
    print(english_table(results, groups))
    print("\n## xsid: share detected as not English / as its own language\n")
    print("(da, id, kk, lt, sr: outside the multilingual encoder, only not-English counts)\n")
    print(other_table(results, groups, "xsid/"))
    print("\n## Short questions written for this: not English / own language\n")
    print(other_table(results, groups, "short/"))
    print("\n## docs/eval translated questions: not English / own language\n")
    print(other_table(results, groups, "docs/eval/"))
    print("\n## askbot.language's answers, by group\n")
    print(outcome_table(results["askbot.language"], groups))
    if not args.no_cost:
        print("\n## Cost (fresh process each; one thread; latency over every text above)\n")
        lengths = sorted(len(text) for group in groups for text in group.texts)
        print(f"({len(lengths)} texts, median {lengths[len(lengths) // 2]} characters)\n")
        argv = ["--datasets", str(args.datasets), "--sample", str(args.sample)]
        costed = [
            name
            for name in results
            if not name.startswith(("+", "askbot.language,", "same rules"))
            or (name.startswith("same rules") and name.endswith("odds 3"))
        ]
        print(cost_table(costed, [*argv, "--seed", str(args.seed)]))


if __name__ == "__main__":
    main()
