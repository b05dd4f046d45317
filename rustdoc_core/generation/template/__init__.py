"""The template engine: a deterministic doc from the item alone, no model.

The default generator when no model is set, the baseline every model must beat, and what the
output guard falls back to. Its parts:

- `fn_summary`: the summary of a fn, from its name read as English and its signature;
- `item_summary`: the summary of every other kind of item;
- `plain_summary`: what both say where the name does not read as English ("The `f` function.");
- `docs.section_text`: the `# Errors`, `# Panics` and `# Safety` texts (shared with repair and
  `check --fix`);
- `faults`: what a template doc must never contain, counted over a corpus by the tests.

Every phrase is built by `docs.english`'s grammar, which refuses words it cannot put together
correctly; the template then says less ("The `f` function.") rather than something wrong, so
its docs need no checking after the fact.
"""

from rustdoc_core.generation.template.doc import summary, template_doc, template_sections

__all__ = ["summary", "template_doc", "template_sections"]
