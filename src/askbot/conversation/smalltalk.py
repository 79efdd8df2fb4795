"""Small talk: greetings, thanks, goodbyes, "who are you?", "a human please", insults.

A message is small talk only when it is small talk as a whole ("thanks!", "hi, who are you?");
"thanks — and what about trade?" is a question about trade with a pleasantry in front, which
``strip_pleasantries`` removes before it is searched.

English small talk is matched by the regexes below; the multilingual encoder's other languages
by the phrases of ``askbot.conversation.smalltalk_languages``, and answered in that language.

What askbot says back is a ``SmallTalk``: defaults in each language, overridden for a deployment
and per collection by a ``_smalltalk.json`` file in the corpus folder (the corpus loader skips
``_`` files). Top-level keys are English lines, ``languages`` holds other languages' lines::

    {"human_contact": "Write to the newsroom at tips@example.org.",
     "languages": {"es": {"greeting": "¡Hola! Pregúnteme sobre esta noticia."}},
     "collections": {"south-korea-japan-relations": {"greeting": "Hi! Ask me about this story."}}}

>>> kind_of("Thanks a lot!")
'thanks'
>>> kind_of("thanks - and what about trade?") is None
True
>>> strip_pleasantries("thanks - and what about trade?")
'and what about trade?'
>>> small_talk_of("¡hola!", preferred=None)
('greeting', 'es')
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from askbot.conversation.smalltalk_languages import LINES, languages_of, leading_pleasantry
from askbot.errors import CorpusError

SMALL_TALK_FILE = "_smalltalk.json"

# The phrases of each kind, as regexes over a lowercased message whose punctuation became spaces.
_PHRASES: dict[str, str] = {
    "greeting": r"hi+|hello+|hey+|hiya|howdy|yo|greetings|good (?:morning|afternoon|evening|day)"
    r"|how (?:are|r) (?:you|u)(?: doing)?|how s it going|what s up|whats up|wass?up|sup",
    "thanks": r"thanks?|thank you|thx|ty|cheers|much appreciated|appreciate it|great|perfect"
    r"|awesome|cool|nice|ok(?:ay)?|got it|that (?:helps|helped|s helpful)|helpful",
    "goodbye": r"bye+|goodbye|good ?night|see (?:you|ya)(?: later)?|cya|farewell|later"
    r"|that s all|i m done|that s it",
    "identity": r"who are you|what are you|who is this|what is this|what s your name"
    r"|what is your name|are you (?:a )?(?:bot|robot|human|real|real person|ai|person)",
    "abilities": r"help|what can you do|what can i ask(?: you)?|what do you know(?: about)?"
    r"|what can you (?:answer|tell me)|how does this work|what should i ask|what is this for",
    "human": r"(?:(?:can|could|may) i |i (?:want|would like|d like|need) to |let me )?"
    r"(?:talk|speak|chat|write) (?:to|with) (?:a |an |the |someone|somebody|a real )?"
    r"(?:human|person|real person|agent|someone|somebody|journalist|reporter|editor|newsroom"
    r"|staff|support)?|(?:a )?(?:real )?(?:human|person|agent)(?: please)?|contact(?: us)?"
    r"|customer service|(?:i )?(?:want|need) (?:a )?(?:human|person)",
    "insult": r"(?:you (?:are|re) |you |this is |what a |ur )?(?:so )?(?:stupid|useless|dumb"
    r"|an idiot|idiot|rubbish|garbage|terrible|awful|worthless|pathetic)(?: bot)?|shut up"
    r"|this sucks|you suck|stupid bot|useless bot|wtf",
}
# Words that may pad a pleasantry without making it a question.
_FILLER = r"(?:so much|very much|a lot|again|please|there|all|everyone|bot|askbot|so|oh|well)"
# The kind reported when one message holds several: the most telling one wins.
_PRIORITY = ("human", "insult", "abilities", "identity", "goodbye", "thanks", "greeting")
_PHRASE = {kind: re.compile(rf"\b(?:{pattern})\b") for kind, pattern in _PHRASES.items()}
_ANY = "|".join(f"(?:{pattern})" for pattern in _PHRASES.values())
_WHOLE = re.compile(rf"(?:(?:{_ANY})(?: {_FILLER})* ?)+")
# A pleasantry in front of a question: "thanks, and what about trade?", "hi! why now?".
_LEADING = re.compile(
    rf"^\s*(?:(?:{_PHRASES['greeting']}|{_PHRASES['thanks']})(?:\s+{_FILLER})*"
    r"(?:\s*[,.!;:\-\u2013\u2014]+\s*|\s+(?=(?:and|but|also|now|what|how|why|who|when"
    r"|where|can|could|will|would|is|are|do|does)\b)))+",
    re.I,
)
# A message of emoji alone: a thumbs-up says thanks (or "got it") as well as words do.
_EMOJI = {"👍": "thanks", "👌": "thanks", "🙏": "thanks", "❤": "thanks", "😊": "thanks"}
_EMOJI |= {"🙂": "thanks", "😀": "greeting", "👋": "greeting"}
# Skin tones and the emoji presentation selector change how an emoji looks, not what it says.
_EMOJI_MODIFIERS = re.compile("[\U0001f3fb-\U0001f3ff\ufe0f\\s]")
# Small talk is short; longer text is never matched, which also bounds the regex's work.
_SMALL_TALK_MAX_WORDS = 12
_SMALL_TALK_MAX_CHARS = 120


def _plain(message: str) -> str:
    """Lowercase words separated by single spaces; apostrophes and punctuation become spaces."""
    return " ".join(re.sub(r"[^\w]+", " ", message.lower()).split())


def kind_of(message: str) -> str | None:
    """The kind of small talk a message is as a whole, or None for anything else."""
    text = _plain(message)
    if not text and 0 < len(message) <= _SMALL_TALK_MAX_CHARS:
        shown = set(_EMOJI_MODIFIERS.sub("", message))
        if shown and shown <= _EMOJI.keys():
            kinds = {_EMOJI[e] for e in shown}
            return next(kind for kind in _PRIORITY if kind in kinds)
    if not text or len(text) > _SMALL_TALK_MAX_CHARS or len(text.split()) > _SMALL_TALK_MAX_WORDS:
        return None
    if not _WHOLE.fullmatch(text):
        return None
    return next((kind for kind in _PRIORITY if _PHRASE[kind].search(text)), None)


def small_talk_of(message: str, preferred: str | None) -> tuple[str, str] | None:
    """The kind of small talk a message is as a whole and its language, or None.

    ``preferred`` is the conversation's language, else the page's. English small talk ("ok",
    "thanks") is answered in it, as readers of every language type those; a phrase several
    languages share ("hallo") is read in it when it is one of them.
    """
    kind = kind_of(message)
    if kind is not None:
        return kind, preferred if preferred in LINES else "en"
    found = languages_of(message)
    if not found:
        return None
    language, kind = next(((lang, k) for lang, k in found if lang == preferred), found[0])
    return kind, language


def strip_pleasantries(message: str) -> str:
    """The message without a greeting or thanks in front of it (the message if nothing is left)."""
    rest = _LEADING.sub("", message, count=1).strip()
    if rest == message.strip():
        rest = message[leading_pleasantry(message) :].strip()
    return rest or message


@dataclass(frozen=True, slots=True)
class SmallTalk:
    """What askbot says to small talk; every line is one short sentence or two.

    ``human_contact`` is appended to the reply to "talk to a person" (a site's contact line).
    """

    greeting: str = "Hello! I answer questions about this article."
    thanks: str = "You're welcome! Anything else about this article?"
    goodbye: str = "Goodbye, and thanks for reading!"
    identity: str = "I'm askbot, an assistant that answers questions about this article."
    abilities: str = "I can answer questions about this article, for example:"
    human: str = "I'm an automated assistant and can't put you through to a person."
    insult: str = "Sorry I didn't help. Maybe one of these questions is what you're after:"
    human_contact: str = ""
    footer: str = "Here are questions I can answer:"
    # Other languages' lines: language -> kind (or "footer") -> line.
    languages: dict[str, dict[str, str]] = field(default_factory=lambda: dict(LINES))
    collections: dict[str, SmallTalk] = field(default_factory=dict, compare=False)

    def reply_to(self, kind: str, language: str = "en") -> str:
        """The line for one kind of small talk in ``language`` (English when it has none), with
        the contact line and footer as they apply."""
        lines = self.languages.get(language, {})
        line: str = lines.get(kind) or getattr(self, kind)
        footer = lines.get("footer", self.footer) if kind in lines else self.footer
        if kind == "human" and self.human_contact:
            line = f"{line} {self.human_contact}"
        if kind != "goodbye" and not line.rstrip().endswith((":", "：")) and footer:
            line = f"{line} {footer}"
        return line

    def language_of(self, kind: str, language: str) -> str:
        """The language ``reply_to(kind, language)`` is in."""
        return language if kind in self.languages.get(language, {}) else "en"

    def of(self, collection: str | None) -> SmallTalk:
        """The small talk of one collection: this one with the collection's overrides."""
        return self.collections.get(collection or "", self)

    def overridden(self, values: dict[str, Any], where: Path | None = None) -> SmallTalk:
        """A copy with some lines replaced; an unknown key or a non-string is a ``CorpusError``."""
        where = where or Path(SMALL_TALK_FILE)
        values = dict(values)
        per_language = values.pop("languages", {})
        english = {f.name for f in fields(self)} - {"collections", "languages"}
        _check_lines(values, english, where)
        if not isinstance(per_language, dict):
            raise CorpusError(where, None, "'languages' must map language codes to objects")
        languages = dict(self.languages)
        for language, lines in per_language.items():
            if language not in LINES or not isinstance(lines, dict):
                raise CorpusError(where, None, f"'languages' has no language {language!r}")
            _check_lines(lines, english - {"human_contact"}, where)
            languages[language] = {**languages.get(language, {}), **lines}
        return replace(self, **values, languages=languages)


def _check_lines(values: dict[str, Any], keys: set[str], where: Path) -> None:
    """A ``CorpusError`` for a key not in ``keys`` or a value that is not a string."""
    for key, value in values.items():
        if key not in keys:
            raise CorpusError(where, None, f"unknown key {key!r}")
        if not isinstance(value, str):
            raise CorpusError(where, None, f"{key!r} must be a string")


def load_small_talk(corpus_dir: Path, *, human_contact: str = "") -> SmallTalk:
    """The deployment's small talk: defaults, ``human_contact``, then ``_smalltalk.json`` if any.

    The file holds lines for the whole deployment and, under ``collections``, per collection.
    """
    base = SmallTalk(human_contact=human_contact)
    path = corpus_dir / SMALL_TALK_FILE
    if not corpus_dir.is_dir() or not path.is_file():
        return base
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise CorpusError(path, None, f"invalid JSON: {exc}") from None
    if not isinstance(data, dict):
        raise CorpusError(path, 1, "expected an object of small-talk lines")
    per_collection = data.pop("collections", {})
    if not isinstance(per_collection, dict) or not all(
        isinstance(v, dict) for v in per_collection.values()
    ):
        raise CorpusError(path, None, "'collections' must map collection ids to objects")
    deployment = base.overridden(data, path)
    collections = {cid: deployment.overridden(v, path) for cid, v in per_collection.items()}
    return replace(deployment, collections=collections)
