"""What the evaluation tests share: the labelled toy set on disk, and a toy set of threads."""

from __future__ import annotations

from pathlib import Path

from askbot.evaluate import EvalEntry, EvalQuery, EvalSet

DATA = Path(__file__).parent.parent / "data" / "eval"


def threaded_set(n_groups: int = 12) -> EvalSet:
    """n_groups threads of two entries; each thread has one query, plus one cross-thread query."""
    entries = tuple(
        EvalEntry(id=f"t{g}_a{a}", question=f"question {g}", group=g)
        for g in range(n_groups)
        for a in range(2)
    )
    per_thread = [
        EvalQuery(query=f"about {g}", relevant=(f"t{g}_a0", f"t{g}_a1")) for g in range(n_groups)
    ]
    queries = (*per_thread, EvalQuery(query="about 4 and 5", relevant=("t4_a0", "t5_a0")))
    return EvalSet("toy", entries, queries)
