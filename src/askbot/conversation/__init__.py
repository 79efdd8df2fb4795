"""Conversations: follow-ups understood in context, clarifications picked, no dead ends."""

from askbot.conversation.conversation import Conversation
from askbot.conversation.reading import asks_for_more, choose, is_elliptical
from askbot.conversation.reply import MESSAGES, Reply, Suggestion
from askbot.conversation.smalltalk import SmallTalk, load_small_talk
from askbot.conversation.state import SessionState, new_state

__all__ = [
    "MESSAGES",
    "Conversation",
    "Reply",
    "SessionState",
    "SmallTalk",
    "Suggestion",
    "asks_for_more",
    "choose",
    "is_elliptical",
    "load_small_talk",
    "new_state",
]
