"""The ``askbot`` command as a user runs it: a real process, the real model."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import SEED_ARTICLE
from tests.servers import seed_encoders


def run(
    *args: str, cwd: Path, stdin: str | None = None, **settings: str
) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ASKBOT_")}
    env.update({f"ASKBOT_{k.upper()}": v for k, v in settings.items()})
    if "index_dir" not in settings and "--index" not in args:
        seed_encoders(cwd / "index")
    return subprocess.run(
        [sys.executable, "-m", "askbot.cli", *args],
        cwd=cwd,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
        check=False,
    )


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder with the seed corpus and a built index, as after `askbot build`."""
    import shutil

    from tests.conftest import SEED_CORPUS

    root = tmp_path_factory.mktemp("cli")
    shutil.copytree(SEED_CORPUS, root / "corpus")
    result = run("build", cwd=root)
    assert result.returncode == 0, result.stderr
    assert "index built: 1 collection(s), 6 entries" in result.stdout
    return root


def test_build_again_is_up_to_date(workdir: Path) -> None:
    result = run("build", cwd=workdir)
    assert result.returncode == 0
    assert "index up to date" in result.stdout


def test_ask_prints_the_answer(workdir: Path) -> None:
    result = run("ask", "why are Seoul and Tokyo getting closer?", cwd=workdir)
    assert result.returncode == 0, result.stderr
    assert "What prompted South Korea and Japan to strengthen ties now?" in result.stdout
    assert "confidence" in result.stdout


def test_ask_json_and_stdin_jsonl(workdir: Path) -> None:
    result = run(
        "ask",
        "--json",
        cwd=workdir,
        stdin="could this become a wider Asian alliance?\n\nhow do I reset my password?\n",
    )
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [line["decision"] for line in lines] == ["answer", "fallback"]
    assert lines[0]["answer"]["question"] == "Could this lead to a broader alliance in Asia?"
    assert lines[1]["answer"] is None and lines[1]["alternatives"]


def test_ask_answers_as_a_chat_answers_a_first_message(workdir: Path) -> None:
    """A reader's first message, whatever it is: small talk, another language, a pronoun that
    only the article's title explains."""
    stdin = "hello\n일본과 한국은 왜 가까워지고 있나요?\nwhy are they getting closer?\n"
    result = run("ask", "--json", cwd=workdir, stdin=stdin)
    assert result.returncode == 0, result.stderr
    greeting, korean, pronoun = (json.loads(line) for line in result.stdout.splitlines())
    assert greeting["via"] == "small-talk" and greeting["suggestions"]
    assert korean["decision"] == "answer" and korean["language"]["served"] == "ko"
    assert korean["answer"]["id"] == pronoun["answer"]["id"]
    assert pronoun["answer"]["question"].startswith("What prompted South Korea and Japan")


def test_stale_index_is_refused_by_ask(workdir: Path, tmp_path: Path) -> None:
    import shutil

    copy = tmp_path / "copy"
    shutil.copytree(workdir, copy)
    seed = copy / "corpus" / SEED_ARTICLE.name
    seed.write_text(seed.read_text().replace("pragmatic", "practical"))
    result = run("ask", "anything", cwd=copy)
    assert result.returncode == 1
    assert result.stderr.strip().startswith("error:")
    assert "corpus changed" in result.stderr and "askbot build" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("ask", "hi", "--collection", "nope"), "unknown collection 'nope'"),
        (("ask", "hi", "--index", "no-index-here"), "no index in no-index-here"),
        (("build", "--corpus", "missing"), "missing: corpus folder does not exist"),
        (("ask", "hi", "--model", "no-such-model-pkg"), "neither a model folder nor an installed"),
    ],
)
def test_errors_are_one_line(workdir: Path, args: tuple[str, ...], message: str) -> None:
    result = run(*args, cwd=workdir)
    assert result.returncode == 1
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert "Traceback" not in result.stderr


def test_malformed_corpus_names_file_and_line(tmp_path: Path) -> None:
    (tmp_path / "corpus").mkdir()
    (tmp_path / "corpus" / "bad.csv").write_text("question,answer\nq,a\nr,\n")
    result = run("build", cwd=tmp_path)
    assert result.returncode == 1
    assert "bad.csv:3: empty answer" in result.stderr


def test_ask_after_the_corpus_changed_and_broke_names_file_and_line(
    workdir: Path, tmp_path: Path
) -> None:
    import shutil

    shutil.copytree(workdir, tmp_path, dirs_exist_ok=True)
    (tmp_path / "corpus" / "bad.csv").write_text("question,answer\nq,a\nr,\n")
    result = run("ask", "is this about trade?", cwd=tmp_path)
    assert result.returncode == 1
    assert "bad.csv:3: empty answer" in result.stderr
    (tmp_path / "corpus" / "bad.csv").write_text("question,answer\nq,a\n")
    result = run("ask", "is this about trade?", cwd=tmp_path)
    assert result.returncode == 1 and "run: askbot build" in result.stderr  # valid: just stale


def test_chat_reads_turns_until_eof(workdir: Path) -> None:
    result = run(
        "chat", cwd=workdir, stdin="could this become a wider Asian alliance?\ntell me a joke\n"
    )
    assert result.returncode == 0, result.stderr
    assert "Could this lead to a broader alliance in Asia?" in result.stdout
    assert "I don't know" in result.stdout


def test_chat_follows_up_and_takes_a_pick_as_the_api_does(tmp_path: Path) -> None:
    import shutil

    from tests.conftest import DATA

    shutil.copytree(DATA / "corpus_api", tmp_path / "corpus")
    assert run("build", cwd=tmp_path).returncode == 0
    turns = ["why are Seoul and Tokyo getting closer?", "will that lead to an alliance?"]
    turns += ["passport form", "2"]
    result = run("chat", cwd=tmp_path, stdin="\n".join(turns) + "\n")
    assert result.returncode == 0, result.stderr
    replies = result.stdout.split("you> ")[1:]
    assert "What prompted South Korea and Japan to strengthen ties now?" in replies[0]
    assert "Could this lead to a broader alliance in Asia?" in replies[1]  # the follow-up
    assert "Did you mean" in replies[2]
    offered = [line.split(". ", 1)[1] for line in replies[2].splitlines() if ". " in line[:5]]
    assert len(offered) >= 2 and offered[1] in replies[3]  # "2" picks the second option


def test_report_groups_unanswered_questions(tmp_path: Path) -> None:
    from askbot.store import Journal

    journal = Journal(tmp_path / "log.sqlite3")
    for question in [
        "when is the next election?",
        "When is the next election",
        "what's the weather?",
    ]:
        journal.log_question(
            session_id="s1",
            question=question,
            collection=None,
            decision="fallback",
            confidence=0.05,
            answer_id=None,
            latency_ms=10.0,
        )
    journal.close()
    result = run("report", "--since", "1d", cwd=tmp_path, db_path=str(tmp_path / "log.sqlite3"))
    assert result.returncode == 0, result.stderr
    assert "3 unanswered questions in 2 groups" in result.stdout
    first_row = result.stdout.index("election")
    assert first_row < result.stdout.index("weather")
    bad = run(
        "report", "--since", "yesterday-ish", cwd=tmp_path, db_path=str(tmp_path / "log.sqlite3")
    )
    assert bad.returncode == 1 and "cannot read" in bad.stderr


def test_eval_measures_a_corpus_collection_with_its_labelled_questions(tmp_path: Path) -> None:
    from tests.conftest import REPO

    article = SEED_ARTICLE
    result = run(
        "eval",
        "--faq",
        str(article),
        "--queries",
        str(REPO / "docs" / "eval" / f"{article.stem}.queries.jsonl"),
        "--out",
        str(tmp_path / "out"),
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    metrics = json.loads((tmp_path / "out" / "metrics.json").read_text())["askbot"]
    assert metrics["dataset"] == article.stem
    assert metrics["n-in-scope"] > 0 and metrics["n-oos"] > 0
    # Queries label entries by question; the records carry the ids askbot serves them under.
    records = (tmp_path / "out" / "records-askbot.jsonl").read_text().splitlines()
    relevant = {r for line in records for r in json.loads(line)["relevant"]}
    assert len(relevant) == 6 and all(r.startswith(f"{article.stem}/") for r in relevant)


def test_eval_reports_metrics_and_writes_files(tmp_path: Path) -> None:
    from tests.conftest import DATA

    result = run(
        "eval",
        "--faq",
        str(DATA / "eval" / "faq.jsonl"),
        "--queries",
        str(DATA / "eval" / "queries.jsonl"),
        "--split",
        "test",
        "--out",
        str(tmp_path / "out"),
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert "| askbot |" in result.stdout and "recall@1" in result.stdout
    written = {p.name for p in (tmp_path / "out").iterdir()}
    assert {"metrics.json", "report.md", "reliability.png", "precision-coverage.png"} <= written
    bad = run(
        "eval",
        "--faq",
        str(DATA / "eval" / "faq.jsonl"),
        "--queries",
        str(DATA / "eval" / "queries-malformed.jsonl"),
        cwd=tmp_path,
    )
    assert bad.returncode == 1 and "queries-malformed.jsonl:" in bad.stderr
