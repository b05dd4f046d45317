"""The template on a corpus of real items: its docs as pinned, its own fault count at 0, the doc
checker silent; on held-out crates (docs not pinned), no fault either. The fault checker itself
is shown to catch each bad doc issue 22 quotes from eza."""

from __future__ import annotations

from collections import Counter

import pytest

from rustdoc_core.docs.checker import check_doc
from rustdoc_core.docs.section_text import error_type_meanings
from rustdoc_core.generation.template import template_doc
from rustdoc_core.generation.template.faults import FAULT_CODES, template_faults
from rustdoc_core.rust.items import RustSource
from tests.core.template_corpus import (
    CORPUS_CRATES,
    FIXTURES,
    HELD_OUT_CRATES,
    corpus_sources,
    crate_dir,
    crate_items,
    debian_registry,
    pinned,
)


@pytest.fixture(scope="module")
def registry():
    return debian_registry()


@pytest.fixture(scope="module")
def corpus(registry):
    return corpus_sources(registry)


@pytest.mark.parametrize("part", [*CORPUS_CRATES, "fixtures"])
def test_template_docs_match_the_pinned_corpus(corpus, part):
    pins = pinned(part)
    docs = {key: template_doc(item) for key, item in corpus[part]}
    assert docs.keys() == pins.keys()
    changed = {key: (pins[key], docs[key]) for key in docs if docs[key] != pins[key]}
    assert dict(list(changed.items())[:20]) == {}, f"{len(changed)} docs changed; `python -m tests.core.template_corpus` pins them anew"


def test_template_fault_count_on_the_pinned_corpus_is_zero(corpus):
    faults = Counter()
    examples = {}
    for items in corpus.values():
        for key, item in items:
            for fault in template_faults(item, template_doc(item)):
                faults[fault.code] += 1
                examples.setdefault(fault.code, (key, fault.text))
    assert sum(len(items) for items in corpus.values()) > 4000
    assert faults == Counter(), examples


def test_doc_checker_finds_nothing_in_the_template_docs_of_the_corpus(corpus):
    """The template runs no checker while writing: this is where its docs meet the checker."""
    bad = {}
    for items in corpus.values():
        for key, item in items:
            findings = check_doc(item, template_doc(item))
            if findings:
                bad[key] = findings
    assert bad == {}


@pytest.mark.parametrize("crate", [*CORPUS_CRATES, *HELD_OUT_CRATES])
def test_errors_in_the_crates_own_words_pass_the_doc_checker(registry, crate):
    items = [item for _, item in crate_items(crate_dir(registry, crate))]
    meanings = error_type_meanings(items)
    bad = {}
    for item in items:
        doc = template_doc(item, error_meanings=meanings)
        if check_doc(item, doc) or template_faults(item, doc):
            bad[item.label] = doc
    assert bad == {}


@pytest.mark.parametrize("crate", HELD_OUT_CRATES)
def test_held_out_crates_get_template_docs_without_faults(registry, crate):
    """No doubled word, no parameter list that misses one, no word absent from the item, no
    broken acronym, glued word or article before a non-noun, and nothing for the checker."""
    faults = []
    items = list(crate_items(crate_dir(registry, crate)))
    assert len(items) > 30
    for key, item in items:
        doc = template_doc(item)
        faults.extend((key, f.code, f.text) for f in template_faults(item, doc))
        faults.extend((key, f.code, f.message) for f in check_doc(item, doc))
    assert faults == []


def _issue_item(name: str):
    (item,) = [i for i in RustSource((FIXTURES / "issue_22.rs").read_bytes()).items() if i.name == name]
    return item


@pytest.mark.parametrize(
    ("name", "bad_doc", "code"),
    [
        ("has_anything_for", "Returns `true` if this `GitCache` has anything for for the given `index`.", "doubled-word"),
        ("add", "Adds the given `a`.", "some-params"),
        ("first_width", "Returns the first width.\n\n# Panics\n\nPanics if `self.widths.first()` is `None` or `Err`.", "none-and-err"),
        ("set_ls", "Sets the LS.", "broken-acronym"),
        ("yours", "Returns the yours.", "article-before-non-noun"),
        ("Never", "The never when.", "article-before-non-noun"),
        ("Sealed", "A trait for types that act as a sealed.", "article-before-non-noun"),
        ("STICKY", "The sticky.", "article-before-non-noun"),
        ("collect", "Collects a `Vec` from the given `actually_enable_git`.", "some-params"),
        ("add_widths", "Handles the add widths.", "foreign-word"),
        ("lookup_width", "Looks up the namepath.", "glued-word"),
        ("parsed_ls", "Returns the parsed LS1.", "glued-word"),
    ],
)
def test_fault_checker_catches_the_bad_docs_of_issue_22(name, bad_doc, code):
    assert code in FAULT_CODES
    assert code in [f.code for f in template_faults(_issue_item(name), bad_doc)]
    assert template_faults(_issue_item(name), template_doc(_issue_item(name))) == []
