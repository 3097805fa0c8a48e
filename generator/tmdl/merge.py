"""Merge the generated objects into a TMDL model someone already owns, touching nothing else.

The rule is ownership. An object is *generated* when it carries the ``MSP_CSAT_Generated`` annotation
(measures, tables, relationships, M parameters, roles); inside a generated table the table's own properties
and annotations that the generator writes, its columns carrying the generator's lineage tag and its partitions
of the generator's name are generated too. Merging replaces generated objects in place (same position, same
file), removes generated objects the specs no longer produce, adds new ones next to their generated siblings,
and keeps every other line of every file byte for byte. A hand-written object that uses a generated name is a
conflict: the merge is refused before anything is written.

Without ``with_tables`` only measures are merged (their home tables, and every table and column they use, must
exist in the model); with it the ``BI_`` tables, relationships, M parameters and roles are merged as well.

Whether a generated object already in the model is current (kept as the user's bytes) or changed (rewritten as
generated) is decided on the semantic-model IR, not on the lines (:mod:`generator.tmdl.merge_current`): Power BI
Desktop's own layout of an unchanged object is not a change. Ownership, conflicts and the edits themselves stay
on the tree, whose file, line and bytes they need.

Data flows one way: the specs → the IR (spec reader) and generated definition files → parsed tree; target folder
→ parsed tree → the IR (TMDL reader, same tree); a plan of edits on the target tree, decided on the IRs → new
file bytes → (``build --into``) written atomically or (``check --into``) compared.
"""

from __future__ import annotations

import copy
import difflib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from generator.errors import ToolError
from generator.output import refuse_paths_outside, write_files_atomically
from generator.powerbi.connections import DEFAULT_CONNECTION, Connection
from generator.powerbi.diff import describe_difference
from generator.powerbi.lineage import lineage_tag
from generator.powerbi.outputs import StaleFile, shown_path
from generator.powerbi.semantic import GENERATED_ANNOTATION
from generator.powerbi.tmdl import definition_files, tmdl_name
from generator.semantic.model import SemanticModel
from generator.semantic.spec import from_spec
from generator.semantic.tmdl import from_tree
from generator.semantic.tom import to_database
from generator.spec.model import Model as SpecModel
from generator.tmdl.merge_current import Currentness
from generator.tmdl.merge_refs import missing_references
from generator.tmdl.reader import parse_text, read_folder
from generator.tmdl.tree import Document, Line, Model, Node
from generator.tmdl.writer import write_document

#: Top-level object types merged with ``with_tables`` (checked for hand-written objects with generated names).
MERGED_TYPES = ("table", "relationship", "expression", "role")
#: What to do when the model's own parameter has the name of a generated one (``Server``, ``Database``).
PARAMETER_WAY_OUT = ("rename or delete it, or build with --parameter-prefix P (ours become P_Server and P_Database) "
                     "or --reuse-parameters (the generated partitions read yours; none is written)")


class MergeConflict(ToolError):
    """Hand-written objects that use generated names (or missing home tables); nothing was written."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("cannot merge the generated objects; nothing was written:\n  " + "\n  ".join(problems))


@dataclass
class Change:
    """One object the merge adds, updates or removes (``kind`` is ``added``, ``updated`` or ``removed``)."""

    kind: str
    object_type: str
    name: str
    table: str | None = None


@dataclass
class MergeResult:
    """The merged files: ``before``/``after`` bytes of every file the merge looked at (relative POSIX paths)."""

    folder: Path
    before: dict[str, bytes]
    after: dict[str, bytes]
    changes: list[Change] = field(default_factory=list)
    unchanged: int = 0
    removed: list[str] = field(default_factory=list)
    root: Path | None = None  # the model folder given (--into); every path must stay inside it

    def refuse_paths_outside(self) -> None:
        """Raise :class:`ToolError` when a file the merge reads, writes or removes leads outside the model folder
        (a symbolic link inside it pointing elsewhere)."""
        paths = [self.folder, *(self.folder / path for path in sorted({*self.before, *self.after, *self.removed}))]
        refuse_paths_outside(self.root if self.root is not None else self.folder, paths, "the model folder")

    @property
    def changed_files(self) -> dict[str, bytes]:
        """Relative path → new bytes, for files that differ (new files included)."""
        return {path: data for path, data in self.after.items() if self.before.get(path) != data}

    def diff(self) -> str:
        """A unified diff of every changed file (paths relative to the definition folder)."""
        chunks: list[str] = []
        for path in self.removed:
            old_lines = self.before[path].decode("utf-8-sig").splitlines(keepends=True)
            diff = difflib.unified_diff(old_lines, [], f"a/{path}", "/dev/null", n=2)
            chunks.extend(line if line.endswith("\n") else line + "\n" for line in diff)
        for path, data in sorted(self.changed_files.items()):
            old = self.before.get(path)
            old_lines = old.decode("utf-8-sig").splitlines(keepends=True) if old is not None else []
            new_lines = data.decode("utf-8-sig").splitlines(keepends=True)
            diff = difflib.unified_diff(old_lines, new_lines, f"a/{path}" if old is not None else "/dev/null",
                                        f"b/{path}", n=2)
            chunks.extend(line if line.endswith("\n") else line + "\n" for line in diff)
        return "".join(chunks)

    def stale_files(self, root: Path) -> list[StaleFile]:
        """The files a merge would change, as ``check`` reports stale outputs (paths shown relative to ``root``)."""
        found = [StaleFile(shown_path(self.folder / path, root), "differs",
                           describe_difference(self.before.get(path, b""), data, path))
                 for path, data in self.changed_files.items()]
        found += [StaleFile(shown_path(self.folder / path, root), "not generated",
                            "holds only generated objects no spec produces any more") for path in self.removed]
        return sorted(found, key=lambda stale: stale.path)

    def summary(self) -> str:
        counts = {kind: sum(1 for change in self.changes if change.kind == kind)
                  for kind in ("added", "updated", "removed")}
        files = len(self.changed_files) + len(self.removed)
        return (f"{counts['added']} added, {counts['updated']} updated, {counts['removed']} removed, "
                f"{self.unchanged} unchanged; {files} file{'s' if files != 1 else ''} changed")


# -- reading ------------------------------------------------------------------------------------------------

def definition_folder(path: Path) -> Path:
    """The ``definition/`` folder of a ``X.SemanticModel`` folder (or ``path`` itself when it is one)."""
    path = Path(path)
    if not path.exists():
        raise ToolError(f"{path} does not exist; give a PBIP semantic model folder (X.SemanticModel)")
    if not path.is_dir():
        raise ToolError(f"{path} is not a folder; give a PBIP semantic model folder (X.SemanticModel)")
    if (path / "definition").is_dir():
        return path / "definition"
    if any(path.glob("*.tmdl")) or (path / "tables").is_dir():
        return path
    if (path / "model.bim").is_file():
        raise ToolError(f"{path} holds a model.bim (TMSL), not a TMDL definition folder; save the project with "
                        "Power BI Desktop's TMDL format (Options > Preview features > Store semantic model using "
                        "TMDL format) and run again")
    raise ToolError(f"{path} holds no definition/ folder of .tmdl files; give a PBIP semantic model folder "
                    "(X.SemanticModel)")


def _folders_and_tmdl(definition: Path) -> list[Path]:
    """Every folder and ``.tmdl`` file under ``definition``, symbolic links included but not followed."""
    return sorted(path for path in definition.rglob("*") if path.suffix == ".tmdl" or path.is_dir())


def generated_model(files: dict[str, str]) -> Model:
    """Parse the generator's own definition files (relative path → text) into a tree."""
    model = Model(root="<generated>")
    for path, text in sorted(files.items()):
        model.documents[path] = parse_text(text, f"<generated>/{path}")
    return model


# -- ownership ----------------------------------------------------------------------------------------------

def is_generated(node: Node) -> bool:
    return GENERATED_ANNOTATION in node.annotations


def _key(node: Node) -> tuple[str, str]:
    return node.keyword.lower(), node.name if node.name is not None else ""


def _lineage(node: Node) -> str | None:
    value = node.properties.get("lineageTag")
    return value if isinstance(value, str) else None


def _owned_in_generated_table(table: str, ours: list[Node]) -> Callable[[Node], bool]:
    """Which children of a generated table the generator owns (see the module docstring)."""
    our_keys = {_key(node) for node in ours}
    partitions = {node.name for node in ours if node.keyword == "partition"}

    def owned(node: Node) -> bool:
        if node.keyword == "measure":
            return is_generated(node)
        if node.keyword == "column":
            return _lineage(node) == lineage_tag("column", table, node.name or "")
        if node.keyword == "partition":
            return node.name in partitions
        if node.name is None or node.keyword == "annotation":
            return _key(node) in our_keys
        return False

    return owned


# -- editing ------------------------------------------------------------------------------------------------

def _ending_of(document: Document) -> str:
    return next((line.ending for line in document.lines() if line.ending), "\n")


def _adapted(node: Node, ending: str) -> Node:
    """A copy of a generated node whose lines use the target file's line ending."""
    clone = copy.deepcopy(node)
    for line in clone.lines():
        line.ending = ending
    return clone


def _merge_children(existing: list[Node], ours: list[Node], owned: Callable[[Node], bool],
                    default_index: Callable[[list[Node]], int], changes: list[Change], table: str | None,
                    ending: str, current: Callable[[Node, Node], bool]) -> tuple[list[Node], int]:
    """``existing`` with owned nodes replaced in place by ``ours`` (matched by type and name) unless
    ``current(existing node, our node)``, owned nodes missing from ``ours`` removed, and the rest of ``ours``
    inserted after their nearest placed predecessor (or at ``default_index``). Returns the new list and the
    number of owned objects kept as they were."""
    by_key = {_key(node): node for node in ours}
    result: list[Node] = []
    placed: dict[tuple[str, str], Node] = {}
    unchanged = 0
    for node in existing:
        if not owned(node):
            result.append(node)
            continue
        key = _key(node)
        if key not in by_key or key in placed:
            if node.is_object:
                changes.append(Change("removed", node.keyword, node.name or "", table))
            continue
        replacement = _adapted(by_key[key], ending)
        if [line.raw for line in replacement.lines()] == [line.raw for line in node.lines()] or current(node,
                                                                                                  by_key[key]):
            replacement = node
            unchanged += node.is_object
        elif node.is_object:
            changes.append(Change("updated", node.keyword, node.name or "", table))
        placed[key] = replacement
        result.append(replacement)
    previous: Node | None = None
    for node in ours:
        key = _key(node)
        if key in placed:
            previous = placed[key]
            continue
        addition = _adapted(node, ending)
        index = result.index(previous) + 1 if previous is not None else default_index(result)
        result.insert(index, addition)
        placed[key] = addition
        previous = addition
        if node.is_object:
            changes.append(Change("added", node.keyword, node.name or "", table))
    return result, unchanged


def _after_last_measure(children: list[Node]) -> int:
    """Where a table's first generated measure goes: after its last measure, else before its first object."""
    measures = [index for index, node in enumerate(children) if node.keyword == "measure"]
    if measures:
        return measures[-1] + 1
    return next((index for index, node in enumerate(children) if node.is_object), len(children))


def _first_object(children: list[Node]) -> int:
    return next((index for index, node in enumerate(children) if node.is_object), len(children))


def _fix_final_newlines(document: Document, had_final_newline: bool) -> None:
    """After an edit every line but the last ends with a newline; the last keeps the original's choice."""
    lines = list(document.lines())
    ending = _ending_of(document)
    for line in lines[:-1]:
        if not line.ending:
            line.ending = ending
    if lines and not had_final_newline:
        lines[-1].ending = ""


# -- the merge ----------------------------------------------------------------------------------------------

@dataclass
class _Located:
    document: Document
    node: Node


class _Merger:
    def __init__(self, target: Model, ours: Model, with_tables: bool, reused_parameters: tuple[str, ...] = (),
                 currentness: Currentness | None = None):
        self.target = target
        self.ours = ours
        self.currentness = currentness or Currentness(from_tree(target), from_tree(ours))
        self.with_tables = with_tables
        self.reused_parameters = reused_parameters
        self.changes: list[Change] = []
        self.unchanged = 0
        self.problems: list[str] = []
        self.touched: set[str] = set()
        self.new_documents: dict[str, Document] = {}
        self.removed_documents: set[str] = set()
        self._keys = {id(document): path for path, document in target.documents.items()}

    def key(self, document: Document) -> str:
        """The document's path relative to the definition folder (new documents: their own path)."""
        return self._keys.get(id(document), document.path)

    def _current(self, table: str | None, table_properties: bool = False) -> Callable[[Node, Node], bool]:
        """Whether an owned node is current (decided on the IR); with ``table_properties`` the nameless
        properties and annotations of generated table ``table`` are current when the table's own are."""
        own = table_properties and table is not None and self.currentness.same_table_properties(table)

        def current(existing: Node, mine: Node) -> bool:
            if existing.is_object and existing.keyword != "annotation":
                return self.currentness.same_object(existing, mine, table)
            return own

        return current

    # -- lookups --------------------------------------------------------------------------------------------
    def _top(self, model: Model, object_type: str) -> list[_Located]:
        return [_Located(document, node) for document in model.documents.values()
                for node in document.objects(object_type)]

    def _where(self, located: _Located) -> str:
        return f"{located.document.path}:{located.node.header.number}"

    def _our_measures(self) -> dict[str, list[Node]]:
        found: dict[str, list[Node]] = {}
        for located in self._top(self.ours, "table"):
            found[located.node.name or ""] = located.node.objects("measure")
        return found

    # -- checks ---------------------------------------------------------------------------------------------
    def check_conflicts(self) -> None:
        our_measures = {measure.name.lower(): table for table, measures in self._our_measures().items()
                        for measure in measures if measure.name}
        target_tables = {located.node.name: located for located in self._top(self.target, "table")}
        for located in target_tables.values():
            for measure in located.node.objects("measure"):
                name = (measure.name or "").lower()
                if name in our_measures and not is_generated(measure):
                    self.problems.append(
                        f"{self._where(_Located(located.document, measure))}: measure {measure.name!r} is "
                        f"hand-written (no {GENERATED_ANNOTATION} annotation) but has the name of a generated "
                        "measure; rename or delete it")
        missing_homes: set[str] = set()
        for table in sorted(set(our_measures.values())):
            located = target_tables.get(table)
            if located is None:
                if not self.with_tables:
                    missing_homes.add(table)
                    self.problems.append(f"the generated measures of table {table!r} need that table, which the "
                                         "model does not have; add the BI_ tables with --with-tables")
                continue
            ours = {name for name, home in our_measures.items() if home == table}
            for column in located.node.objects("column"):
                if (column.name or "").lower() in ours and not self._owned_column(table, column):
                    self.problems.append(
                        f"{self._where(_Located(located.document, column))}: column {column.name!r} of table "
                        f"{table!r} has the name of a generated measure; rename it")
        self.problems.extend(missing_references(self.target, self.ours, self.with_tables, missing_homes))
        if not self.with_tables:
            return
        for object_type in MERGED_TYPES:
            existing = {located.node.name: located for located in self._top(self.target, object_type)}
            for ours in self._top(self.ours, object_type):
                found = existing.get(ours.node.name)
                if found is not None and not is_generated(found.node):
                    way_out = (PARAMETER_WAY_OUT if object_type == "expression"
                               else "rename or delete it, or merge without --with-tables")
                    self.problems.append(
                        f"{self._where(found)}: {object_type} {found.node.name!r} is hand-written (no "
                        f"{GENERATED_ANNOTATION} annotation) but has the name of a generated {object_type}; "
                        f"{way_out}")
        self._check_reused_parameters()
        self._check_relationship_endpoints()
        self._check_generated_tables()

    def _check_reused_parameters(self) -> None:
        """With ``--reuse-parameters`` the partitions read the model's own parameters: each must exist and be
        hand-written (a generated one would be removed by this very merge)."""
        existing = {located.node.name: located for located in self._top(self.target, "expression")}
        for name in self.reused_parameters:
            found = existing.get(name)
            if found is None:
                self.problems.append(f"--reuse-parameters: the model has no parameter (expression) {name!r} for the "
                                     "generated partitions to read; add it, or build without --reuse-parameters")
            elif is_generated(found.node):
                self.problems.append(f"{self._where(found)}: --reuse-parameters: parameter {name!r} is one this "
                                     f"tool generated ({GENERATED_ANNOTATION} annotation), not yours; build without "
                                     "--reuse-parameters to keep it generated")

    def _owned_column(self, table: str, column: Node) -> bool:
        return _lineage(column) == lineage_tag("column", table, column.name or "")

    def _check_relationship_endpoints(self) -> None:
        def ends(node: Node) -> tuple[str, str]:
            properties = node.properties
            return str(properties.get("fromColumn")), str(properties.get("toColumn"))

        ours = {ends(located.node) for located in self._top(self.ours, "relationship")}
        for located in self._top(self.target, "relationship"):
            if not is_generated(located.node) and ends(located.node) in ours:
                self.problems.append(
                    f"{self._where(located)}: hand-written relationship {ends(located.node)[0]} → "
                    f"{ends(located.node)[1]} duplicates a generated one; delete it or merge without --with-tables")

    def _check_generated_tables(self) -> None:
        ours = {located.node.name: located.node for located in self._top(self.ours, "table")}
        for located in self._top(self.target, "table"):
            table = located.node.name or ""
            if not is_generated(located.node):
                continue
            if table not in ours:
                kept = [node for node in located.node.objects()
                        if node.keyword not in ("annotation", "partition") and not is_generated(node)
                        and not (node.keyword == "column" and self._owned_column(table, node))]
                if kept:
                    self.problems.append(
                        f"{self._where(located)}: generated table {table!r} is no longer in the specs but holds "
                        f"hand-written objects ({', '.join(repr(node.name) for node in kept)}); move them first")
                continue
            our_columns = {node.name for node in ours[table].objects("column")}
            for column in located.node.objects("column"):
                if column.name in our_columns and not self._owned_column(table, column):
                    self.problems.append(
                        f"{self._where(_Located(located.document, column))}: column {column.name!r} of generated "
                        f"table {table!r} is hand-written but has the name of a generated column; rename it")

    # -- edits ----------------------------------------------------------------------------------------------
    def merge_measures(self) -> None:
        """Measures only: into each home table; generated measures elsewhere (moved or dropped) removed."""
        ours = self._our_measures()
        for located in self._top(self.target, "table"):
            table = located.node.name or ""
            if self.with_tables and is_generated(located.node):
                continue  # merged with its table
            mine = ours.get(table, [])
            children = located.node.children
            if not mine and not any(node.keyword == "measure" and is_generated(node) for node in children):
                continue
            merged, unchanged = _merge_children(
                children, mine, lambda node: node.keyword == "measure" and is_generated(node),
                _after_last_measure, self.changes, table, _ending_of(located.document), self._current(table))
            self._replace_children(located, merged, unchanged)

    def merge_tables(self) -> None:
        ours = {located.node.name: located for located in self._top(self.ours, "table")}
        existing = {located.node.name: located for located in self._top(self.target, "table")}
        for name, located in existing.items():
            if not is_generated(located.node):
                continue
            mine = ours.get(name)
            if mine is None:
                self._remove_top(located, "table")
                continue
            table_node = located.node
            ending = _ending_of(located.document)
            merged, unchanged = _merge_children(
                table_node.children, mine.node.children, _owned_in_generated_table(name or "", mine.node.children),
                _first_object, self.changes, name, ending, self._current(name, table_properties=True))
            header_lines = [*mine.node.leading, mine.node.header]
            if [line.text for line in header_lines] != [line.text for line in [*table_node.leading,
                                                                                 table_node.header]] \
                    and not self.currentness.same_table_properties(name or ""):
                replacement = _adapted(mine.node, ending)
                table_node.leading, table_node.header = replacement.leading, replacement.header
                self.touched.add(self.key(located.document))
            self._replace_children(located, merged, unchanged)
        for name, mine in ours.items():
            if name in existing:
                continue
            self._add_document(mine, "table", f"tables/{mine.document.path.rsplit('/', 1)[-1]}")
            self.changes.append(Change("added", "table", name or ""))

    def merge_top_level(self, object_type: str, default_file: str) -> None:
        """Relationships, expressions: merged inside the file that holds most of the target's objects of the
        type (created when there is none); generated ones elsewhere are replaced where they are."""
        ours = [located.node for located in self._top(self.ours, object_type)]
        holders = self._top(self.target, object_type)
        by_document: dict[str, int] = {}
        for located in holders:
            path = self.key(located.document)
            by_document[path] = by_document.get(path, 0) + 1
        if by_document:
            home_path = max(sorted(by_document), key=lambda path: by_document[path])
            home = self.target.documents[home_path]
        elif ours:
            home = self.new_documents.setdefault(default_file, Document(path=default_file))
        else:
            return
        elsewhere = {_key(located.node) for located in holders
                     if located.document is not home and is_generated(located.node)}
        for document in {id(located.document): located.document for located in holders}.values():
            if document is home:
                continue
            mine = [node for node in ours if _key(node) in elsewhere]
            self._merge_document(document, mine, object_type)
        home_ours = [node for node in ours if _key(node) not in elsewhere]
        self._merge_document(home, home_ours, object_type)

    def merge_roles(self) -> None:
        ours = {located.node.name: located for located in self._top(self.ours, "role")}
        existing = {located.node.name: located for located in self._top(self.target, "role")}
        for name, located in existing.items():
            if is_generated(located.node) and name not in ours:
                self._remove_top(located, "role")
        for name, mine in ours.items():
            found = existing.get(name)
            if found is None:
                self._add_document(mine, "role", f"roles/{mine.document.path.rsplit('/', 1)[-1]}")
                self.changes.append(Change("added", "role", name or ""))
            else:
                self._merge_document(found.document, [mine.node], "role", only=found.node)

    def _merge_document(self, document: Document, ours: list[Node], object_type: str,
                        only: Node | None = None) -> None:
        def owned(node: Node) -> bool:
            return (node.keyword.lower() == object_type and is_generated(node)
                    and (only is None or node is only))

        if not ours and not any(owned(node) for node in document.nodes):
            return
        def default_index(nodes: list[Node]) -> int:
            last = [index for index, node in enumerate(nodes) if node.keyword.lower() == object_type]
            return last[-1] + 1 if last else len(nodes)

        first_added = not any(node.keyword.lower() == object_type for node in document.nodes)
        merged, unchanged = _merge_children(document.nodes, ours, owned, default_index, self.changes, None,
                                            _ending_of(document), self._current(None))
        if first_added and document.nodes and merged:
            self._separate(merged, document.nodes)
        self.unchanged += unchanged
        if [id(node) for node in merged] != [id(node) for node in document.nodes]:
            had_newline = self._had_final_newline(document)
            document.nodes = merged
            self._strip_leading_blank(document)
            _fix_final_newlines(document, had_newline)
            self.touched.add(self.key(document))

    @staticmethod
    def _separate(merged: list[Node], original: list[Node]) -> None:
        """A generated block appended to a file of other objects starts after a blank line."""
        for node in merged:
            if node not in original and not (node.leading and node.leading[0].is_blank):
                node.leading.insert(0, Line(0, "", node.header.ending or "\n"))

    @staticmethod
    def _strip_leading_blank(document: Document) -> None:
        """A file does not start with the blank line that separated an object from the one before it."""
        if document.nodes and document.nodes[0].leading and document.nodes[0].leading[0].is_blank:
            first = document.nodes[0]
            while first.leading and first.leading[0].is_blank:
                first.leading.pop(0)

    @staticmethod
    def _had_final_newline(document: Document) -> bool:
        lines = list(document.lines())
        return not lines or bool(lines[-1].ending)

    def _replace_children(self, located: _Located, merged: list[Node], unchanged: int) -> None:
        self.unchanged += unchanged
        node = located.node
        if [id(child) for child in merged] == [id(child) for child in node.children]:
            return
        had_newline = self._had_final_newline(located.document)
        node.children = merged
        _fix_final_newlines(located.document, had_newline)
        self.touched.add(self.key(located.document))

    def _remove_top(self, located: _Located, object_type: str) -> None:
        document = located.document
        self.changes.append(Change("removed", object_type, located.node.name or ""))
        document.nodes = [node for node in document.nodes if node is not located.node]
        self.touched.add(self.key(document))
        if not document.objects():
            self.removed_documents.add(self.key(document))
        self._drop_ref(object_type, located.node.name or "")

    def _add_document(self, mine: _Located, object_type: str, path: str) -> None:
        if path in self.target.documents or path in self.new_documents:
            raise ToolError(f"cannot add {object_type} {mine.node.name!r}: {path} already exists in "
                            f"{self.target.root} and holds other objects")
        ending = self._model_ending()
        document = copy.deepcopy(mine.document)
        document.path = path
        for line in document.lines():
            line.ending = ending
        self.new_documents[path] = document
        self._add_ref(object_type, mine.node.name or "", ending)

    def _model_document(self) -> Document | None:
        return next((document for document in self.target.documents.values() if document.objects("model")), None)

    def _model_ending(self) -> str:
        document = self._model_document()
        return _ending_of(document) if document else "\n"

    def _add_ref(self, object_type: str, name: str, ending: str) -> None:
        """Append ``ref <type> <name>`` after the model's last ref of that type, when the model orders them."""
        document = self._model_document()
        if document is None:
            return
        refs = [index for index, node in enumerate(document.nodes) if node.is_ref and node.ref_type == object_type]
        if not refs:
            return
        ref = parse_text(f"ref {object_type} {tmdl_name(name)}{ending}", "<ref>").nodes[0]
        had_newline = self._had_final_newline(document)
        document.nodes.insert(refs[-1] + 1, ref)
        _fix_final_newlines(document, had_newline)
        self.touched.add(self.key(document))

    def _drop_ref(self, object_type: str, name: str) -> None:
        document = self._model_document()
        if document is None:
            return
        kept = [node for node in document.nodes
                if not (node.is_ref and node.ref_type == object_type and node.name == name)]
        if len(kept) != len(document.nodes):
            document.nodes = kept
            self.touched.add(self.key(document))


def merge_into(folder: Path, generated_files: dict[str, str], with_tables: bool = False,
               reused_parameters: tuple[str, ...] = (), generated: SemanticModel | None = None) -> MergeResult:
    """Plan the merge of the generator's definition files into the TMDL model at ``folder`` (nothing written).

    ``reused_parameters`` names the model's own parameters the generated partitions read (``--reuse-parameters``).
    ``generated`` is the IR the files were written from (the spec reader's); without it the files are read back.
    Raises :class:`MergeConflict` listing every hand-written object that uses a generated name (or a reused
    parameter that is missing), :class:`~generator.tmdl.reader.TmdlSyntaxError` when a target file does not
    parse and :class:`~generator.semantic.location.ModelSourceError` when it holds a value TOM does not accept.
    """
    definition = definition_folder(folder)
    refuse_paths_outside(Path(folder), [definition, *_folders_and_tmdl(definition)], "the model folder")
    target = read_folder(definition)
    before = {path: (definition / path).read_bytes() for path in target.documents}
    ours = generated_model(generated_files)
    currentness = Currentness(from_tree(target), generated if generated is not None else from_tree(ours))
    merger = _Merger(target, ours, with_tables, reused_parameters if with_tables else (), currentness)
    merger.check_conflicts()
    if merger.problems:
        raise MergeConflict(merger.problems)
    if with_tables:
        merger.merge_tables()
        merger.merge_top_level("relationship", "relationships.tmdl")
        merger.merge_top_level("expression", "expressions.tmdl")
        merger.merge_roles()
    merger.merge_measures()
    after = dict(before)
    for path, document in target.documents.items():
        if path in merger.touched:
            after[path] = write_document(document)
    for path, document in merger.new_documents.items():
        after[path] = write_document(document)
    removed = sorted(merger.removed_documents)
    for path in removed:
        after.pop(path)
    result = MergeResult(folder=definition, before=before, after=after, changes=merger.changes,
                         unchanged=merger.unchanged, removed=removed, root=Path(folder))
    result.refuse_paths_outside()
    return result


def merge_specs_into(specs: SpecModel, folder: Path, with_tables: bool = False,
                     connection: Connection = DEFAULT_CONNECTION) -> MergeResult:
    """Plan the merge of what ``specs`` generate, written for ``connection``, into the model at ``folder`` (see
    :func:`merge_into`)."""
    reused = connection.parameter_names() if connection.reuse_parameters else ()
    generated = from_spec(specs, connection)
    return merge_into(folder, definition_files(to_database(generated)), with_tables, reused, generated)


def apply(result: MergeResult, progress: Callable[[str], None] | None = None) -> None:
    """Write the merged files atomically as one change, then delete the files of removed objects."""
    result.refuse_paths_outside()
    write_files_atomically({result.folder / path: data for path, data in sorted(result.changed_files.items())},
                           progress)
    for path in result.removed:
        (result.folder / path).unlink(missing_ok=True)
        if progress:
            progress(f"{result.folder / path} (removed)")
