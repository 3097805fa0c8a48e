"""Offline DAX engine: DAX text → bound to a model → filter-context plan → SQL (sqlglot) → DuckDB or a warehouse.

* :mod:`generator.engine.model` — :class:`EngineModel`, the tables, relationships and measures a query binds to;
* :mod:`generator.engine.values` — DAX types and compiled scalar SQL (:class:`Scalar`);
* :mod:`generator.engine.scalars` — DAX operators and scalar functions as SQL, with DAX's BLANK rules;
* :mod:`generator.engine.functions` — the function registry: each DAX function's kind, arity and compiler;
* :mod:`generator.engine.compiler` — the binder/planner: DAX expressions → SQL under a filter context;
* :mod:`generator.engine.run` — :class:`Engine`: run DAX queries, render their SQL for a dialect.
"""
