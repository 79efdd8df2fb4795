"""askbot: answers free-form questions from curated FAQs, with a confidence that means something.

The library's entry points::

    from askbot import Settings, build, load_corpus, open_retriever

    settings = Settings(corpus_dir="corpus", index_dir="index")
    corpus = load_corpus(settings.corpus_dir)     # parse and validate the FAQ files
    build(settings)                               # embed, fit and publish the index if stale
    answer = open_retriever(settings).ask("why are Seoul and Tokyo getting closer?")
    answer.decision, answer.confidence, answer.answer

``open_service(settings).conversation`` adds follow-ups, picks and suggestions;
``askbot.api.create_app(settings)`` serves it all over HTTP.
"""

from askbot.config import Settings
from askbot.conversation import Conversation, Reply, new_state
from askbot.corpus import Corpus, FaqEntry, load_corpus
from askbot.embed import Embedder, load_embedder
from askbot.errors import AskbotError
from askbot.index import FaqIndex, build_index, load_index
from askbot.retrieve import Answer, Decision, Retriever
from askbot.service import Service, build, ensure_built, open_retriever, open_service

__all__ = [
    "Answer",
    "AskbotError",
    "Conversation",
    "Corpus",
    "Decision",
    "Embedder",
    "FaqEntry",
    "FaqIndex",
    "Reply",
    "Retriever",
    "Service",
    "Settings",
    "build",
    "build_index",
    "ensure_built",
    "load_corpus",
    "load_embedder",
    "load_index",
    "new_state",
    "open_retriever",
    "open_service",
]
