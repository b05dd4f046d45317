"""The summary sentence of a fn, from its name and signature.

A fn's name is read as English where it can be: a verb in the third person (`parse_config`
"Parses the config"), a getter (`max_depth` "Returns the maximum depth"), a predicate
(`is_dir` "Returns `true` if this `File` is a directory"), a constructor, a conversion, a
setter. Each rule below reads one shape of name; the first that applies and whose words make
their phrases (`english.Unsayable` otherwise) writes the summary. A summary names all of the
fn's parameters or none of them. Where no rule can say something true, the summary says less:
"The `did_you_mean` function."
"""

from __future__ import annotations

from dataclasses import replace

from rustdoc_core.docs.english import (
    DETERMINERS,
    PREPOSITIONS,
    VERBS,
    Unsayable,
    be_form,
    complement,
    given_params,
    has_self,
    is_adjective,
    is_adjective_phrase,
    is_noun_phrase,
    is_plural,
    is_word,
    name_parts,
    named_params,
    noun_phrase,
    object_phrase,
    ok_type,
    option_inner,
    other_params,
    owner_phrase,
    owner_type,
    returns_self,
    sentence,
    spelled_word,
    split_identifier,
    the_phrase,
    third_person,
    to_infinitive,
    type_name,
    with_article,
    words_of,
    words_phrase,
)
from rustdoc_core.generation.template.plain_summary import plain_summary
from rustdoc_core.rust.items import RustItem

_CREATION_VERBS = frozenset("""
build compile parse clone create make generate render format read load convert compute calculate collect
encode decode serialize deserialize open spawn fetch produce construct prepare
""".split())
"""Verbs whose result is a new value: `build(&self) -> Glob` "Builds a `Glob`"."""
_ACTION_VERBS = _CREATION_VERBS | frozenset("escape unescape find search split join merge resolve normalize expand evaluate".split())
"""Verbs that stay verbs even as `&self` methods returning a value (not getters)."""
_COLLECTIVE_VERBS = frozenset("add merge join combine compare swap concat zip sum union intersect".split())
"""Verbs whose objects are all their parameters (`add(a, b)` "Adds the given `a` and `b`")."""
_OBJECT_VERBS = frozenset("add push insert append prepend remove write send register put store record".split())
"""Verbs whose object, on a method too, is the parameter the name names (`add_suffix(suffix)`)."""
_PRIMITIVES = frozenset("u8 u16 u32 u64 u128 usize i8 i16 i32 i64 i128 isize f32 f64 char bool str".split())


def _receiver(item: RustItem) -> str | None:
    """`ref`, `mut` or `value` for a method's receiver, None without one."""
    for p in item.params:
        if p.is_self:
            pattern = p.pattern.replace(" ", "")
            if pattern.startswith("&") and "mut" in pattern:
                return "mut"
            if pattern.startswith("&"):
                return "ref"
            return "value"
    return None


class FnName:
    """What a fn's name and signature say, read once for the summary rules below."""

    def __init__(self, item: RustItem):
        self.item = item
        self.name = item.name[2:] if item.name.startswith("r#") else item.name
        raw = name_parts(self.name) or [self.name]
        self.lower = [w.lower() for w in raw]
        self.words = words_of(self.name) if len(self.name.strip("_")) <= 1 else [spelled_word(w) for w in raw]
        self.first, self.rest, self.rest_words = self.lower[0], self.lower[1:], self.words[1:]
        self.owner = owner_type(item)
        self.owner_code = f"`{self.owner}`" if self.owner else None
        self.this = owner_phrase(item)
        self.has_self = has_self(item)
        self.receiver = _receiver(item)
        self.params = named_params(item)
        self.given = given_params(item)
        """Every named parameter ("the given `a` and `b`"), or None: a summary names all or none."""
        self.given_one = self.given if len(self.params) == 1 else None
        """The one named parameter, where there is exactly one: it can be a sentence's subject."""
        self.others = other_params(item)
        self.ok = ok_type(item.return_type)
        self.unit = self.ok in (None, "()", "!")  # `!`: it never returns a value either
        self.is_bool = self.ok == "bool"
        self.subject = self.this if self.has_self else (self.given_one or "it")
        value_type = type_name(option_inner(self.ok))
        in_trait = item.container is not None and item.container.kind == "trait"
        self.made_name = None if in_trait else (self.owner or value_type)  # a trait is no value's type
        self.made = f"`{self.made_name}`" if self.made_name else "value"
        self.is_verb = self.first in VERBS and self.first != "match"

    def given_naming(self, parts: list[str], words: list[str]) -> str:
        """"the given `path`" where the words name a parameter (`from_path(path)`), with the
        other parameters after it; else "the given" and the words."""
        name = "_".join(parts)
        if name in self.params:
            given = given_params(self.item, first=name)
            if given is None:
                raise Unsayable("too many parameters to name")
            return given
        if len(self.params) == 1:
            the_phrase(words)  # the words must read as a noun phrase
            return f"the given {words_phrase(words)}"  # `from_string(name)`: the words say what its one parameter is
        return the_phrase(words)  # `from_env()`: the name says what from, no parameter does

    def names_params(self, parts: list[str]) -> bool:
        """Whether the words name a parameter, alone or joined (`new_with_capacity(capacity)`)."""
        return bool(parts) and "_".join(parts) in self.params


def _for_given(fn: FnName) -> str:
    """" for the given `a` and `b`", where the name has no "for" of its own."""
    return f" for {fn.given}" if fn.given and "for" not in fn.lower else ""


# --- the rules, in the order they are tried; each returns None when it does not apply -------


def _special(fn: FnName) -> str | None:
    entry = _SPECIAL_FNS.get(fn.name)
    if entry is None or not (entry[1] or fn.has_self):
        return None
    one = f"`{fn.params[0]}`" if len(fn.params) == 1 else None
    an_owner = f"{with_article(fn.owner_code)} {fn.owner_code}" if fn.owner_code else None
    return entry[0].format(
        this=fn.this,
        other=one or "the other value",
        arg=one or "a value",
        owner_or_value=fn.owner_code or "value",
        an_owner_or_value=an_owner or "a value",
        an_owner_or_this_type=an_owner or "this type",
    )


_SPECIAL_FNS: dict[str, tuple[str, bool]] = {
    # name: (summary, whether it applies without a receiver too)
    "default": ("Returns the default {owner_or_value}.", True),
    "len": ("Returns the number of elements in {this}.", False),
    "is_empty": ("Returns `true` if {this} contains no elements.", False),
    "clone": ("Returns a copy of {this}.", False),
    "clone_from": ("Overwrites {this} with a copy of {other}.", False),
    "fmt": ("Formats {this} with the given formatter.", False),
    "eq": ("Returns `true` if {this} is equal to {other}.", False),
    "ne": ("Returns `true` if {this} is not equal to {other}.", False),
    "cmp": ("Compares {this} with {other}.", False),
    "partial_cmp": ("Compares {this} with {other}, if they are comparable.", False),
    "hash": ("Feeds {this} into the given hasher.", False),
    "drop": ("Releases the resources held by {this}.", False),
    "next": ("Advances the iterator and returns the next value.", False),
    "next_back": ("Removes and returns the last value of the iterator.", False),
    "size_hint": ("Returns the bounds on the remaining length of the iterator.", False),
    "deref": ("Dereferences {this}.", False),
    "deref_mut": ("Mutably dereferences {this}.", False),
    "as_ref": ("Returns a reference to the inner value of {this}.", False),
    "as_mut": ("Returns a mutable reference to the inner value of {this}.", False),
    "borrow": ("Borrows the inner value of {this}.", False),
    "from": ("Converts {arg} into {an_owner_or_this_type}.", True),
    "from_str": ("Parses {an_owner_or_value} from a string.", True),
    "try_from": ("Tries to convert {arg} into {an_owner_or_this_type}.", True),
    "into_iter": ("Converts {this} into an iterator.", False),
    "main": ("Runs the program.", True),
    "index": ("Returns a reference to the element of {this} at the given index.", False),
    "index_mut": ("Returns a mutable reference to the element of {this} at the given index.", False),
    "write_str": ("Writes a string slice into {this}.", False),
    "flush": ("Flushes {this}, writing out any buffered data.", False),
    "poll": ("Polls {this} for completion.", False),
    "extend": ("Extends {this} with the contents of {arg}.", False),
}
"""Methods of the standard traits (and `main`), whose meaning the name alone fixes."""


def _unchecked(fn: FnName) -> str | None:
    if "unchecked" not in fn.lower or len(fn.lower) == 1 or "_" not in fn.name:
        return None
    checked = "_".join(w for w in fn.name.split("_") if w.lower() != "unchecked")
    checked_summary = fn_summary(replace(fn.item, name=checked))
    if checked_summary.startswith("The `"):
        return None  # the checked name says nothing either
    return checked_summary[:-1] + ", skipping the usual checks."


def _constructor(fn: FnName) -> str | None:
    """`new`, `new_with_x`, `new_empty`, `with_x` and `from_x` without a receiver."""
    if fn.has_self:
        return None
    rest, rest_words = fn.rest, fn.rest_words
    if fn.first == "new":
        if rest and rest[0] in ("with", "from") and rest[1:]:
            how = "with" if rest[0] == "with" else "from"
            return f"Creates a new {fn.made} {how} {fn.given_naming(rest[1:], rest_words[1:])}."
        if fn.names_params(rest):
            return f"Creates a new {fn.made} with {fn.given_naming(rest, rest_words)}."
        # `new_empty`, `new_stdin`: a kind of the value, not its inputs
        kind = _kind_words(rest_words, fn.made_name, fn.params)
        return f"Creates a new {words_phrase(kind)} {fn.made}." if kind else f"Creates a new {fn.made}."
    if fn.first == "with" and rest:
        return f"Creates a new {fn.made} with {fn.given_naming(rest, rest_words)}."
    if fn.first == "from" and rest:
        return f"Creates {with_article(fn.made)} {fn.made} from {fn.given_naming(rest, rest_words)}."
    return None


_NOT_KINDS = frozenset("none never too wrong".split())


def _kind_words(words: list[str], type_name: str | None, param_names: list[str]) -> list[str]:
    """The words of a constructor's name that say a kind of its type (`empty`, `invalid value`,
    `stdin` for `Input::stdin`), less the type's own words; nothing when they read otherwise
    (`for_app`, `too_many_values`, `types`, `aa_current`) or only name a parameter (`byte(byte)`)."""
    own = {w.lower() for w in split_identifier(type_name or "")}
    kind = [w for w in words if w.lower() not in own]
    if not kind or len(kind) > 3 or is_plural(kind[-1]) or "_".join(kind) in param_names or kind[-1] in ("argument", "parameter"):
        return []
    if any(w in PREPOSITIONS or w in DETERMINERS or w in _NOT_KINDS for w in kind) or not is_noun_phrase(kind) and not (
        is_adjective(kind[-1]) and all(map(is_word, kind))
    ):
        return []
    return kind


def _with_setter(fn: FnName) -> str | None:
    if fn.first != "with" or not fn.rest or not fn.has_self:
        return None
    if fn.receiver == "ref" and not fn.unit:
        return f"Returns a copy of {fn.this} with the given {words_phrase(fn.rest_words)}."
    if fn.unit or returns_self(fn.item):
        return f"Sets {the_phrase(fn.rest_words)}."
    return f"Sets {the_phrase(fn.rest_words)} and returns the result."


def _attempt(fn: FnName) -> str | None:
    if fn.first != "try" or not fn.rest:
        return None
    rest, rest_words = fn.rest, fn.rest_words
    if rest[0] == "from" and len(rest) > 1:
        return f"Tries to create {with_article(fn.made)} {fn.made} from {the_phrase(rest_words[1:])}."
    if rest[0] not in VERBS:
        return None  # `try_pager`: what it tries, the name does not say
    return f"Tries to {_verb_phrase(rest, rest_words, fn, infinitive=True)}."


_CONVERSIONS = {"to": "Converts {this} to {target}.", "as": "Returns {this} as {target}.", "into": "Converts {this} into {target}."}
"""`to_x`, `as_x`, `into_x` methods: the Rust API guidelines' conversion prefixes."""


def _conversion(fn: FnName) -> str | None:
    if fn.first not in _CONVERSIONS or not fn.rest or not fn.has_self:
        return None
    if fn.first == "into" and fn.rest == ["inner"]:
        return f"Consumes {fn.this} and returns the inner value."
    return _CONVERSIONS[fn.first].format(this=fn.this, target=noun_phrase(fn.rest_words))


_STATE_WORDS = ("set", "enabled", "present", "disabled", "empty")


def _is_predicate(fn: FnName) -> str | None:
    """`is_x`: what the name says the value is, with an article before a noun."""
    if fn.first != "is" or not fn.rest:
        return None
    rest, rest_words, last = fn.rest, fn.rest_words, fn.rest[-1]
    if len(rest) > 1 and last in _STATE_WORDS:
        if last == "set" and fn.name.count("_") == len(rest):
            # clap's `is_allow_hyphen_values_set`: the setting is named by its builder method
            return f"Returns `true` if `{fn.name.split('_', 1)[1].rsplit('_', 1)[0]}` is set."
        noun = rest_words[:-1]
        subject = the_phrase(noun) if last in ("present", "empty") else words_phrase(noun)
        return f"Returns `true` if {subject} {be_form(noun)} {rest_words[-1]}."
    if rest[0] == "match":
        if fn.has_self and fn.given_one:
            return f"Returns `true` if {fn.given_one} matches {fn.this}."
        return f"Returns `true` if {fn.subject} matches." if not fn.params or fn.given_one else None
    if last in PREPOSITIONS:
        if not (fn.has_self and fn.given_one):
            return None
        return f"Returns `true` if {fn.this} is {complement(rest_words[:-1])} {rest_words[-1]} {fn.given_one}."
    if fn.params and not (fn.has_self or fn.given_one):
        return None
    return f"Returns `true` if {fn.subject} is {complement(rest_words)}."


MODALS = {"has": "has", "have": "has", "can": "can", "should": "should", "must": "must", "needs": "needs", "will": "will"}


def _modal_predicate(fn: FnName) -> str | None:
    if fn.first not in MODALS or not fn.rest:
        return None
    verb = MODALS[fn.first]
    words = fn.rest_words
    tail = ""
    if fn.rest[-1] in PREPOSITIONS:  # `has_anything_for(&self, index)`: the parameters after its own preposition
        if not (fn.has_self and fn.given_one):
            return None
        words, tail = words[:-1], f" {fn.rest_words[-1]} {fn.given_one}"
    elif fn.params and not fn.given_one and not fn.has_self:
        return None
    if verb != "has" and verb != "needs" and (not words or fn.rest[0] not in VERBS):
        return None  # `will_subcommands_wrap`: after "can"/"will" comes a verb
    obj = object_phrase(words) if verb == "has" else words_phrase(words)
    return f"Returns `true` if {fn.subject} {verb} {obj}{tail}."


_INNER_VERBS = {
    "is": "state", "are": "state", "has": "object", "have": "object", "contains": "object", "includes": "object",
    "supports": "object", "needs": "phrase", "exists": "alone",
}
"""Verbs in the middle of a bool fn's name (`slice_has_bom`, `long_help_exists`) and what follows them."""


def inner_verb_clause(lower: list[str], words: list[str], param_names: list[str]) -> str | None:
    """`path_is_symlink` "the path is a symlink", `slice_has_bom(slice)` "`slice` has a BOM"."""
    if lower[0] in VERBS:
        return None
    at = next((i for i, w in enumerate(lower) if i and w in _INNER_VERBS), None)
    if at is None or any(w in PREPOSITIONS for w in lower[:at]):
        return None
    verb, after = lower[at], words[at + 1 :]
    shape = _INNER_VERBS[verb]
    if (shape == "alone") != (not after):
        return None
    subject_name = "_".join(lower[:at])
    if subject_name in param_names and len(param_names) == 1:
        subject = f"`{subject_name}`"
    elif param_names:
        return None  # the clause would name some parameters and not others, or none of several it is about
    else:
        subject = the_phrase(words[:at])
    predicate = {"state": complement, "object": object_phrase}.get(shape, words_phrase)(after) if after else ""
    return f"{subject} {verb} {predicate}".rstrip()


def _inner_verb_predicate(fn: FnName) -> str | None:
    clause = inner_verb_clause(fn.lower, fn.words, fn.params) if fn.is_bool else None
    return f"Returns `true` if {clause}." if clause else None


_PREDICATE_VERBS = VERBS | {"contain", "exist", "equal", "support", "start", "end", "include", "overlap", "intersect", "match"}


def _verb_s_predicate(fn: FnName) -> str | None:
    """`contains(&self, name) -> bool`: "Returns `true` if this `X` contains the given `name`"."""
    first = fn.first
    stem = first[:-2] if first.endswith(("ches", "shes", "sses", "xes")) else first[:-1]
    if not (fn.is_bool and len(first) > 3 and first.endswith("s") and stem in _PREDICATE_VERBS):
        return None
    if not fn.has_self:
        if fn.params and not fn.given_one:
            return None
        return f"Returns `true` if {fn.subject} {words_phrase([first] + fn.rest_words)}."
    if fn.rest and fn.rest[-1] not in PREPOSITIONS:
        if fn.params:
            return None
        if not is_noun_phrase(fn.rest_words):
            return None
        return f"Returns `true` if {fn.this} {first} {words_phrase(fn.rest_words)}."
    if fn.rest and not fn.given_one:
        return None  # `captures_at(haystack, at, caps)`: the preposition takes one parameter
    if len(fn.params) > 1 and stem not in _COLLECTIVE_VERBS:
        return None  # `captures(haystack, caps)`: which parameter is captured, the name does not say
    return f"Returns `true` if {fn.this} {words_phrase([first] + fn.rest_words)}{' ' + fn.given if fn.given else ''}."


def _without(fn: FnName) -> str | None:
    """`without_terminator(bytes, ..)`: the value less what the name says."""
    if fn.first != "without" or not fn.rest or fn.unit:
        return None
    if not fn.has_self and len(fn.params) == 2 and fn.names_params(fn.rest) and "_".join(fn.rest) == fn.params[1]:
        # `without_terminator(bytes, terminator)`
        return f"Returns the given `{fn.params[0]}` without the given `{fn.params[1]}`."
    subject = fn.this if fn.has_self and not fn.params else fn.given_one if not fn.has_self else None
    if subject is None:
        return None
    return f"Returns {subject} without {the_phrase(fn.rest_words)}."


def _accessor(fn: FnName) -> str | None:
    """`set_x` and `get_x` / `get`."""
    if fn.first == "set" and fn.rest:
        return f"Sets {the_phrase(fn.rest_words)}." if fn.has_self else None
    if fn.first != "get":
        return None
    if fn.rest:
        if fn.rest[-1] in PREPOSITIONS:
            if not fn.given_one:
                return None
            return f"Returns {the_phrase(fn.rest_words[:-1])} {fn.rest_words[-1]} {fn.given_one}."  # `get_matches_from(itr)`
        return f"Returns {the_phrase(fn.rest_words)}{_for_given(fn)}."
    return f"Returns the value for {fn.given}." if fn.given else f"Returns the value of {fn.this}." if not fn.params else None


def _iterator(fn: FnName) -> str | None:
    if "iter" not in fn.lower or not (fn.first == "iter" or fn.lower[-1] == "iter"):
        return None
    over = [w for w, lw in zip(fn.words, fn.lower) if lw not in ("iter", "mut")]
    kind = "a mutable iterator" if "mut" in fn.lower else "an iterator"
    if not over and not fn.has_self:
        return None
    return f"Returns {kind} over {the_phrase(over) if over else fn.this}."


def _builder_option(fn: FnName) -> str | None:
    """`fn case_insensitive(&mut self, yes: bool) -> &mut Self` and other one-argument setters."""
    if fn.receiver not in ("mut", "value") or len(fn.others) != 1:
        return None
    if not (returns_self(fn.item) or (fn.unit and fn.others[0].type == "bool")):
        return None  # a builder's method returns the builder; `spaces(&mut self, n)` may do anything
    if fn.others[0].type == "bool":
        if fn.is_verb:
            return f"Sets whether to {words_phrase([to_infinitive(fn.first)] + fn.rest_words)}."
        if is_adjective_phrase(fn.words):
            return f"Sets whether to be {words_phrase(fn.words)}."  # `case_insensitive(yes)`
        return f"Sets whether {words_phrase(fn.words)} {be_form(fn.words)} enabled." if is_noun_phrase(fn.words) else None
    if fn.is_verb:
        return None  # `add_widths(&mut self, row)` adds; it sets nothing
    return f"Sets {the_phrase(fn.words)}."


def _getter(fn: FnName) -> str | None:
    """`fn start(&self) -> usize`, `fn capture_count(&self) -> usize`."""
    if fn.receiver != "ref" or fn.others or fn.unit or fn.is_bool or fn.first in _ACTION_VERBS or fn.item.returns_result:
        return None
    return f"Returns {the_phrase(fn.words)}."


def _flag_getter(fn: FnName) -> str | None:
    """`fn follow_links(&self) -> bool`: the getter of a builder's flag."""
    if fn.receiver != "ref" or fn.others or not fn.is_bool or not fn.is_verb:
        return None
    return f"Returns `true` if {fn.this} is set to {words_phrase([to_infinitive(fn.first)] + fn.rest_words)}."


def _verb_led(fn: FnName) -> str | None:
    if not fn.is_verb:
        return None
    return _verb_phrase(fn.lower, fn.words, fn, infinitive=False) + "."


def _noun_led(fn: FnName) -> str | None:
    """A name that is a noun phrase: a constructor, a flag, a computed property."""
    words = fn.words
    if not fn.has_self and fn.owner_code and returns_self(fn.item):
        kind = _kind_words(words, fn.owner, fn.params)
        made = f"{words_phrase(kind)} {fn.made}" if kind else fn.made
        return f"Creates {with_article(made)} {made}{' from ' + fn.given if fn.given else ''}."
    if fn.is_bool and not fn.others:
        if is_adjective(words[-1]) and not any(is_adjective(w) for w in words[:-1]):
            subject = the_phrase(words[:-1]) if words[:-1] else fn.subject
            return f"Returns `true` if {subject} {be_form(words[:-1] or ['it'])} {words[-1]}."
        if fn.receiver == "ref" and not fn.item.returns_result and is_noun_phrase(words) and words[0] not in DETERMINERS:
            return f"Returns `true` if {words_phrase(words)} {be_form(words)} enabled."
    if fn.is_bool or fn.unit or (fn.receiver == "mut" and fn.others):
        # a flag with inputs, a procedure named by a noun, a `&mut self` method named by a noun
        # (`roll(&mut self, buf)`): the name alone does not say what it does
        return None
    if "to" in fn.lower[1:-1]:
        # `str_to_bool(s)`: a conversion, whose input is its one parameter
        at = fn.lower.index("to")
        if len(fn.params) != 1 or fn.has_self:
            return None
        return f"Converts the given `{fn.params[0]}` to {noun_phrase(words[at + 1 :])}."
    if fn.lower[-1] in PREPOSITIONS:
        # `shortest_match_at(haystack, at)`: a preposition takes one parameter
        return f"Returns {the_phrase(words[:-1])} {words[-1]} {fn.given_one}." if fn.given_one else None
    return f"Returns {the_phrase(words)}{_for_given(fn)}."


def _verb_phrase(lower: list[str], words: list[str], fn: FnName, *, infinitive: bool) -> str:
    """`parse_config(text)` "parses the config from the given `text`"; `write_to(out)` "writes to
    the given `out`"; `add(a, b)` "adds the given `a` and `b`"."""
    verb, item, given = lower[0], fn.item, fn.given
    verb_text = to_infinitive(verb) if infinitive else third_person(verb)
    rest = words[1:]
    ok = ok_type(item.return_type)
    target = type_name(ok) if ok not in (None, "()", "bool") and type_name(ok) not in _PRIMITIVES else None
    if target == "Self":
        target = fn.owner
    if rest and fn.given_one and "_".join(lower[1:]) == fn.params[0] and (not fn.has_self or verb in _OBJECT_VERBS):
        # `format_error(error)`, `add_suffix(&mut self, suffix)`; but a method's `extend_context(context)` extends its own
        return f"{verb_text} {given}"
    if not rest:
        if verb in ("new", "create") or (infinitive and verb == "from"):
            return f"{'create' if infinitive else 'creates'} a new {fn.owner_code or 'value'}"
        if verb in _CREATION_VERBS and target and (target != fn.owner or not fn.has_self):
            made = f"{with_article(target)} `{target}`"
            return f"{verb_text} {made} from {given}" if given else f"{verb_text} {made}"
        if given and (fn.given_one or verb in _COLLECTIVE_VERBS):
            return f"{verb_text} {given}"  # `escape(bytes)`, `add(a, b)`
        if fn.has_self and not fn.params:
            return f"{verb_text} {fn.this}"
        if target and not fn.params:
            return f"{verb_text} {with_article(target)} `{target}`"
        raise Unsayable("a verb alone, with inputs it cannot name")
    if rest[-1] in PREPOSITIONS:
        # `write_to(out)` "writes to the given `out`"; `write_to(config, out)` "writes the given
        # `config` to the given `out`"; the preposition takes one parameter, never a list
        head, preposition = rest[:-1], rest[-1]
        if len(fn.params) == 2 and not head and given and fn.params[1] not in PREPOSITIONS:
            first, second = fn.params
            return f"{verb_text} the given `{first}` {preposition} the given `{second}`"
        if len(fn.params) != 1:
            raise Unsayable("a preposition with no one parameter after it")
        object_text = (the_phrase(head) + " ") if head and head[0] not in PREPOSITIONS else (words_phrase(head) + " " if head else "")
        return f"{verb_text} {object_text}{preposition} {given}"
    if rest[0] in PREPOSITIONS:
        if fn.params:
            raise Unsayable("`strip_from_x(a, b)`: what comes from where, the name does not say")
        return f"{verb_text} {rest[0]} {the_phrase(rest[1:])}"
    if rest == ["all"]:  # `read_all`
        return f"{verb_text} {rest[0]}"
    if verb in _CREATION_VERBS and given and not fn.has_self:
        return f"{verb_text} {the_phrase(rest)} from {given}"
    return f"{verb_text} {the_phrase(rest)}"


FN_RULES = (
    _special, _unchecked, _constructor, _with_setter, _attempt, _conversion, _is_predicate,
    _modal_predicate, _inner_verb_predicate, _verb_s_predicate, _without, _accessor, _iterator, _builder_option, _getter,
    _flag_getter, _verb_led, _noun_led,
)
"""The fn summary rules, most specific first."""


def fn_summary(item: RustItem) -> str:
    """The summary of a fn: the sentence of the first rule that reads its name, or the plain
    "The `f` function." where that rule cannot build its sentence (or none reads the name)."""
    name = FnName(item)
    if len(name.name.strip("_")) > 1:
        for rule in FN_RULES:
            try:
                text = rule(name)
            except Unsayable:
                break  # the rule that reads this name cannot say it: say less
            if text:
                try:
                    return sentence(text)
                except Unsayable:
                    break
    return plain_summary(item)


def verb_phrase_of_name(item: RustItem) -> str:
    """A verb-led name as a verb phrase with a capital (`make_config!` "Makes the config"); raises
    `Unsayable` where its words do not make one."""
    name = FnName(item)
    return sentence(_verb_phrase(name.lower, name.words, name, infinitive=False))
