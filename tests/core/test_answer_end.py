"""Where decoding stops an answer (`answer_end`): at the end of the summary paragraph for kinds
documented in one sentence, where the kind's length budget keeps nothing more, at once when the
answer loops; and the guard keeps of a stopped answer what it keeps of the whole one."""

from __future__ import annotations

import pytest

from rustdoc_core.generation.answer_end import SUMMARY_ONLY_KINDS, answer_end
from rustdoc_core.generation.guard import budget_of, guard_answer
from rustdoc_core.rust.items import RustItem, parse_items

SOURCE = """\
pub struct Glob {
    pub glob: String,
}

pub enum MatchStrategy {
    Literal(String),
}

pub const MAX_DEPTH: usize = 16;

pub type Patterns = Vec<String>;

impl Glob {
    pub fn compile_matcher(&self) -> GlobMatcher {
        GlobMatcher::new(self)
    }
}
"""


def item(name: str) -> RustItem:
    return next(i for i in parse_items(SOURCE) if i.name == name)


def stop_of(item: RustItem, answer: str) -> str:
    """The answer as decoding leaves it: fed as it forms, cut where `ends_at` first says so."""
    ends_at = answer_end(item)
    for n in range(1, len(answer) + 1):
        end = ends_at(answer[:n])
        if end is not None:
            return answer[:end]
    return answer


@pytest.mark.parametrize("name", ["glob", "Literal", "MAX_DEPTH"])
def test_one_sentence_kinds_end_with_their_summary_paragraph(name):
    subject = item(name)
    assert subject.kind in SUMMARY_ONLY_KINDS
    answer = "The pattern as written, before it is compiled.\n\nIt keeps `{a,b}` alternations as they are.\n"
    assert stop_of(subject, answer) == "The pattern as written, before it is compiled.\n\n"


def test_a_summary_over_several_lines_is_whole_before_the_stop():
    answer = "The pattern as written,\nbefore it is compiled.\n\nMore."
    assert stop_of(item("glob"), answer) == "The pattern as written,\nbefore it is compiled.\n\n"


def test_other_kinds_end_where_their_budget_keeps_nothing_more():
    alias = item("Patterns")
    assert alias.kind not in SUMMARY_ONLY_KINDS and budget_of(alias).code_blocks == 0
    answer = "A list of glob patterns.\n\nIn the order they were added.\n\n# Examples\n\n```\nlet p: Patterns = vec![];\n```\n"
    assert stop_of(alias, answer) == "A list of glob patterns.\n\nIn the order they were added.\n\n"

    method = item("compile_matcher")
    budget = budget_of(method)
    long = " ".join(["Word"] * (budget.chars // 5 + 10)) + "."
    answer = f"Builds a matcher for this glob.\n\n{long}\n\nAnd more."
    assert stop_of(method, answer) == "Builds a matcher for this glob.\n\n"


def test_a_doc_within_its_budget_is_not_stopped():
    method = item("compile_matcher")
    answer = "Builds a matcher for this glob.\n\n# Examples\n\n```\nlet m = glob.compile_matcher();\n```"
    assert stop_of(method, answer) == answer


def test_a_looping_answer_ends_at_once():
    method = item("compile_matcher")
    sentence = "Builds a matcher that matches the glob's paths. "
    answer = "Builds a matcher for this glob. " + sentence * 4
    stopped = stop_of(method, answer)
    assert len(stopped) < len(answer) and stopped.count(sentence.strip()) >= 2


@pytest.mark.parametrize(
    ("name", "answer"),
    [
        ("glob", "The glob pattern this was built from.\n\nIt is kept as written.\n\n# Examples\n\n```\nassert!(true);\n```"),
        ("Literal", "A pattern that matches one literal path.\n\nNo wildcards in it."),
        ("Patterns", "A list of patterns.\n\nOne.\n\nTwo.\n\nThree."),
        ("compile_matcher", "Builds a matcher for this glob.\n\nThe matcher owns a compiled regex.\n\n# Examples\n\n```\nlet m = glob.compile_matcher();\n```"),
    ],
)
def test_the_guard_keeps_of_a_stopped_answer_what_budget_keeps_of_the_whole(name, answer):
    subject = item(name)
    stopped = stop_of(subject, answer)
    if subject.kind in SUMMARY_ONLY_KINDS:
        assert guard_answer(subject, stopped).text == guard_answer(subject, answer.split("\n\n")[0]).text
    else:
        assert guard_answer(subject, stopped).text == guard_answer(subject, answer).text
