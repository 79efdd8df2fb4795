"""A reply in the reader's language: the FAQ's text from a translation file where one gives it,
askbot's own lines in that language, and a note naming the answer's language when it is another.
Also which collections are all English, which decides the space a message is searched in.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from askbot.conversation.languages import ReplyLanguage, line, localised_language, note_for
from askbot.conversation.reply import MESSAGES, Reply, Suggestion
from askbot.index import FaqIndex
from askbot.retrieve import Alternative


@dataclass
class ReplyLocaliser:
    """Localises replies from one index (a Conversation's: both live until the next reload)."""

    index: FaqIndex
    # Each collection's language, memoised: the index never changes under it.
    _languages: dict[str, str] | None = field(default=None, init=False, repr=False)

    def all_english(self, detected: str | None, collection: str | None) -> bool:
        """Whether an English (or too short to tell) message goes to English FAQs only: the
        collection in scope, else every one."""
        languages = self.languages()
        scope = [languages.get(collection, "en")] if collection else languages.values()
        return (detected or "en") == "en" and all(language == "en" for language in scope)

    def languages(self) -> dict[str, str]:
        """Each collection's language."""
        if self._languages is None:
            self._languages = self.index.collection_languages()
        return self._languages

    def localise(self, reply: Reply, detected: str | None, reader: str) -> Reply:
        """The reply with the FAQ's text in ``reader``'s language where a translation gives
        it, askbot's own lines in it too, and a note when the answer is in another.

        Small talk is already in its own language, which the suggestions then follow."""
        answer, message, served, note = reply.answer, reply.message, "en", None
        if reply.via == "small-talk":
            detected = reply.language.detected
            reader, served = detected or reader, reply.language.served
        elif answer is not None:
            entry = self.index.entry(answer.id)
            translated = entry.translation(reader) if entry is not None else None
            if translated is not None:
                answer = replace(answer, question=translated.question, text=translated.answer)
                message, served = translated.answer, reader
            else:
                served = self.languages().get(answer.collection, "en")
            note = note_for(reader, served)
        else:
            key = next((k for k, text in MESSAGES.items() if text == message), None)
            if key is not None:
                message, served = line(key, reader), localised_language(key, reader)
        return replace(
            reply,
            answer=answer,
            message=message,
            alternatives=[
                replace(a, question=self._question_in(a, reader)) for a in reply.alternatives
            ],
            suggestions=[
                replace(s, question=self._question_in(s, reader)) for s in reply.suggestions
            ],
            language=ReplyLanguage(detected, served, note),
        )

    def _question_in(self, option: Alternative | Suggestion, language: str) -> str:
        """An offered question in ``language`` when a translation gives it."""
        entry = self.index.entry(option.id)
        translated = entry.translation(language) if entry is not None else None
        return translated.question if translated is not None else option.question
