"""One semantic model: the IR every reader produces and every part of the product reads.

(For users: docs/powerbi.md, "One semantic model, whatever the format".)

The flow is one way::

    YAML specs ───> spec reader ──────────────┐     ┌─> engine (EngineModel: query, validate, report)
    model.bim ─┐                              ├─> IR ─┼─> lint (ModelView: the BPA and our rules)
    .pbit ─────┼─> reader ─> Raw ─> build ────┘     └─> TMSL writer ─> model.bim, .pbit, TMDL
    TMDL ──────┘

**The IR** (:mod:`.model`) is a tree of frozen dataclasses shaped like TOM: a :class:`~.model.SemanticModel`
with tables (columns, measures, partitions, hierarchies, a calculation group), relationships, roles with
table permissions, perspectives, data sources, shared expressions, cultures and annotations. Property names
are TOM's in snake case; enumerations (:class:`~.model.DataType`, :class:`~.model.Cardinality`,
:class:`~.model.CrossFilter` …) keep TOM's spellings. Every object carries the :class:`~.location.Location`
(file, line, column) it was read from; locations take no part in equality, so the same model read from two
formats compares equal. A measure also records where its DAX text starts (``expression_location``), and
:meth:`~.location.Location.within` turns a position in the DAX into one in the file (lint findings and the
engine's parse errors name the model file and line with it). :class:`~.model.SemanticModel` is also the one
case-insensitive lookup: ``table``, ``column``, ``measure``, ``measure_table``, ``role``, ``relationship`` and
``relationships_of``.

**The readers** only restructure their format; none of them interprets a value:

* :mod:`.tmsl` — the one TMSL decoder: a ``model.bim``, a bare model object, a create/alter script, or a
  ``.pbit``'s ``DataModelSchema`` (UTF-16), with the line and column of every JSON object and the line where
  each expression's text starts;
* :mod:`.tmdl` — a TMDL ``definition/`` folder, read with the lossless tree of :mod:`generator.tmdl` (the one
  TMDL parser; ``build --into`` and ``tmdl check`` use the same tree), partial table declarations merged,
  ``ref`` order kept, culture files recorded by name;
* :mod:`.spec` — our validated YAML specs, building the IR directly (it decides what the specs imply: keys,
  lineage tags, partitions over the connection's parameters), every object located at its YAML declaration;
* :mod:`.load` picks one from a path; every ``--model`` option goes through it.

The TMSL and TMDL readers hand :class:`~.build.Raw` objects (TMSL property names, raw values) to
:func:`~.build.build_model`, **the one place TOM's defaults are applied** (``isActive`` true, cardinalities
many/one, ``"false"`` strings read as false, enumerations in any case) and bad values are refused with a
:class:`~.location.ModelSourceError` at the property's location.

**The consumers** read the IR and decide what it means for them: :mod:`generator.engine.sources` binds it to
the engine's ``EngineModel`` (refusing duplicates, dangling relationships and what the engine cannot
evaluate); :mod:`generator.lint.modelview` wraps it for the rules (which report, rather than refuse, the same
problems). Model-level consistency is therefore a consumer's call, not a reader's. DAX names are resolved
against a model in one place, :mod:`.names` (``'Table'[X]`` as a column, else a measure; a bare ``[X]`` as a
measure, else a column of the home table; did-you-mean hints): lint, the measure and report spec checks, the
assistant and the engine's table and column lookups use it. :mod:`.tom` writes the IR
as a TOM database dict, which :mod:`generator.powerbi` serialises as model.bim, the .pbit's DataModelSchema
and TMDL; reading any of those back gives the IR the specs produced, and writing that again the same bytes.

What still reads a format outside this package, and why: ``generator/tmdl`` keeps its lossless tree for
``build --into`` and ``tmdl check`` (they must rewrite a user's files byte for byte, which an IR cannot), and
:mod:`.tmdl` reads through that same tree (:func:`.tmdl.from_tree`: ``build --into`` decides which generated
objects are current by comparing the user's IR with the spec reader's, see :mod:`generator.tmdl.merge_current`,
and edits the tree); ``deploy`` matches parameter lines of ``expressions.tmdl`` with a
regular expression because what it produces is a regular expression for fabric-cicd's find-and-replace.
"""

from generator.semantic.location import Location, ModelSourceError
from generator.semantic.model import SemanticModel

__all__ = ["Location", "ModelSourceError", "SemanticModel"]
