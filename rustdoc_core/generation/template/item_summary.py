"""The summary sentence of every item kind but fns: types, enum variants, fields, constants,
traits, type aliases, macros and modules, from the name read as English and what the item's
source shows (an enum's variants, a newtype's field, an alias's target). Where the name does not
read as the phrase a kind wants, the summary says less: "The `Never` variant."."""

from __future__ import annotations

import re

from rustdoc_core.docs.english import (
    DETERMINERS,
    PREPOSITIONS,
    VERBS,
    Unsayable,
    be_form,
    capitalize,
    code_span,
    complement,
    is_adjective,
    is_adjective_phrase,
    is_noun_phrase,
    is_plural,
    listed,
    noun_phrase,
    object_phrase,
    owner_type,
    plural,
    sentence,
    singular,
    spelled_word,
    split_identifier,
    the_phrase,
    to_infinitive,
    words_of,
    words_phrase,
)
from rustdoc_core.generation.template.fn_summary import MODALS, inner_verb_clause, verb_phrase_of_name
from rustdoc_core.generation.template.plain_summary import plain_summary
from rustdoc_core.rust.items import RustItem, split_top_level

_TYPE_SUFFIXES = {
    "builder": lambda prefix: f"A builder for {noun_phrase(prefix)}." if prefix else "A builder.",
    "kind": lambda prefix: f"The kind of {words_phrase(prefix)}." if prefix else "A kind.",
    "error": lambda prefix: f"{capitalize(noun_phrase(prefix + ['error']))}." if prefix else "An error that can occur in this crate.",
    "iter": lambda prefix: f"An iterator over {words_phrase(prefix[:-1] + [plural(prefix[-1])])}." if prefix else "An iterator.",
    "iterator": lambda prefix: f"An iterator over {words_phrase(prefix[:-1] + [plural(prefix[-1])])}." if prefix else "An iterator.",
    "set": lambda prefix: f"A set of {words_phrase(prefix[:-1] + [plural(prefix[-1])])}." if prefix else "A set.",
    "config": lambda prefix: f"Configuration for {noun_phrase(prefix)}." if prefix else "Configuration.",
    "options": lambda prefix: f"Options for {noun_phrase(prefix)}." if prefix else "Options.",
    "settings": lambda prefix: f"Settings for {noun_phrase(prefix)}." if prefix else "Settings.",
}
"""The last word of a type's name that says what it is, and what it is of."""


def _type_summary(item: RustItem) -> str:
    raw = split_identifier(item.name)
    words = words_of(item.name) if len(item.name.strip("_")) <= 1 else [spelled_word(w) for w in raw]
    last = raw[-1].lower() if raw else ""
    if last in _TYPE_SUFFIXES and not (len(words) > 1 and words[-2] in PREPOSITIONS):
        prefix = words[:-1]
        if prefix:
            noun_phrase(prefix)  # each suffix wants its prefix to read as a noun phrase
        summary = _TYPE_SUFFIXES[last](prefix)
    else:
        summary = f"{capitalize(noun_phrase(words))}."
    return _with_contents(item, summary)


def _with_contents(item: RustItem, summary: str) -> str:
    """An enum's few variants, a newtype's field, after the summary."""
    if item.kind == "enum" and item.field_names and len(item.field_names) <= 4:
        return f"{summary[:-1]}: one of {listed([f'`{n}`' for n in item.field_names], 'or')}."
    if item.kind in ("struct", "union"):
        wrapped = _newtype_field(item)
        if wrapped:
            return f"{summary[:-1]} wrapping {wrapped}."
    return summary


def _newtype_field(item: RustItem) -> str | None:
    match = re.search(r"\b(?:struct|union)\s+[^\s(<]+(?:<[^()]*>)?\s*\((.*)\)\s*(where\b.*)?;?\s*$", item.source, re.S)
    if not match:
        return None
    fields = split_top_level(match.group(1))
    if len(fields) != 1:
        return None  # a unit-like `S()` or a tuple of several fields
    inner = re.sub(r"^pub(\([^)]*\))?\s+", "", fields[0])
    return code_span(inner, 50) if inner != "()" else None


def _variant_summary(item: RustItem) -> str:
    enum = owner_type(item)
    words = words_of(item.name)
    enum_words = [spelled_word(w) for w in split_identifier(enum)] if enum and len(enum.strip("_")) > 1 else []
    tail = singular(enum_words[-1]) if enum_words else None
    if any(w in DETERMINERS or w in PREPOSITIONS for w in words):
        raise Unsayable("a variant named by a determiner or a preposition")
    phrase = words + [tail] if tail and words[-1].lower() != tail.lower() else words
    summary = f"{capitalize(the_phrase(phrase))}."
    match = re.search(r"\((.*)\)\s*$", item.source, re.S)
    if match:
        fields = split_top_level(match.group(1))
        if len(fields) == 1:
            code = code_span(re.sub(r"^(#\[[^\]]*\]\s*)+", "", fields[0]), 50)  # `#[from] io::Error`: the type, not its attributes
            if code:
                summary = f"{summary} It wraps {code}."
    return summary


_FLAG_TYPES = {"bool": "", "Option<bool>": ", if set"}
"""Field types read as a yes/no flag, and what the sentence adds for each."""


def _field_summary(item: RustItem) -> str:
    owner = owner_type(item)
    this = f"this `{owner}`" if owner else "this value"
    field_type = item.signature.split(":", 1)[1].replace(" ", "") if ":" in item.signature else None
    if field_type in _FLAG_TYPES:
        return f"{_flag_summary(item.name, this)}{_FLAG_TYPES[field_type]}."
    return f"{capitalize(the_phrase(words_of(item.name)))}{f' of {this}' if owner else ''}."


def _flag_summary(name: str, this: str) -> str:
    """What a bool field says, without the period: `is_dimmed` "Whether this `Style` is dimmed"."""
    raw = [w.lower() for w in split_identifier(name)]
    words = words_of(name)
    if raw[0] == "is" and len(raw) > 1:
        return f"Whether {this} is {complement(words[1:])}"
    if raw[0] in MODALS and len(raw) > 1:
        verb = MODALS[raw[0]]
        return f"Whether {this} {verb} {object_phrase(words[1:]) if verb == 'has' else words_phrase(words[1:])}"
    if raw[0] in VERBS and raw[0] != "match":
        return f"Whether to {words_phrase([to_infinitive(raw[0])] + words[1:])}"
    clause = inner_verb_clause(raw, words, [])
    if clause:
        return f"Whether {clause}"
    if is_adjective_phrase(words):
        return f"Whether {this} is {words_phrase(words)}"
    if not is_noun_phrase(words):
        raise Unsayable("a flag that is not named by a noun")
    return f"Whether {words_phrase(words)} {be_form(words)} enabled for {this}"


def _const_summary(item: RustItem) -> str:
    return f"{capitalize(the_phrase(words_of(item.name)))}."


def _trait_summary(item: RustItem) -> str:
    words = words_of(item.name)
    if len(words) > 1 and words[0] in ("into", "from", "to", "as"):
        direction = {"into": "into", "from": "from", "to": "into", "as": "as"}[words[0]]
        return f"Conversion {direction} {noun_phrase(words[1:])}."
    if len(words) == 1 and is_adjective(words[0].lower()):
        return f"A trait for {words[0].lower()} types."  # `Sealed`, `Zeroable`: what its implementors are
    if is_plural(words[-1]):
        if not is_noun_phrase(words):
            raise Unsayable("not a noun phrase")
        return f"A trait for {words_phrase(words)}."
    return f"A trait for types that act as {noun_phrase(words)}."


def _type_alias_summary(item: RustItem) -> str:
    target = _alias_target(item.source)
    if target:
        code = code_span(target, 80)
        if code:
            return f"An alias for {code}."
    return f"{capitalize(the_phrase(words_of(item.name) + ['type']))}."


def _alias_target(source: str) -> str | None:
    """The aliased type of `type A<T, E = Error> = Result<T, E>;` (past generic defaults)."""
    depth = 0
    for i, ch in enumerate(source):
        if ch == "<":
            depth += 1
        elif ch == ">" and source[i - 1 : i] not in ("-", "="):
            depth -= 1
        elif ch == "=" and depth == 0 and source[i + 1 : i + 2] not in ("=", ">"):
            target = source[i + 1 :].strip().rstrip(";").strip()
            return target or None
    return None


def _macro_summary(item: RustItem) -> str | None:
    raw = [w.lower() for w in split_identifier(item.name)]
    if raw and raw[0] in VERBS:
        return verb_phrase_of_name(item) + "."
    return None  # `debug!`, `arg!`: what a macro named by a noun expands to, its name does not say


def _mod_summary(item: RustItem) -> str:
    words = words_of(item.name)
    if not is_noun_phrase(words):
        raise Unsayable("a module named by no noun")
    return f"Items related to {words_phrase(words)}."


ITEM_SUMMARIES = {
    "struct": _type_summary, "enum": _type_summary, "union": _type_summary,
    "variant": _variant_summary, "field": _field_summary, "const": _const_summary, "static": _const_summary,
    "trait": _trait_summary, "type": _type_alias_summary, "macro": _macro_summary, "mod": _mod_summary,
}
"""The summary writer of each item kind but fns."""

def item_summary(item: RustItem) -> str:
    """The summary of an item that is not a fn, or the plain "The `Never` variant." where the
    name does not read as the phrase its kind wants."""
    try:
        text = ITEM_SUMMARIES[item.kind](item)
        if text:
            return sentence(text)
    except Unsayable:
        pass
    plain = plain_summary(item)
    return _with_contents(item, plain) if item.kind == "enum" else plain
