"""askbot: answers free-form questions from curated FAQs, and says plainly when it does not know.

Data flows one way::

    corpus files -> corpus (FaqEntry) -> embed -> index (FAISS + manifest) -> retrieve
                                                                           |-> conversation
                                                                           |-> api / cli / eval
"""

__version__ = "0.1.0"
