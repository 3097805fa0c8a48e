"""Write a TMDL tree back to text/bytes: the concatenation of every node's source lines, in order."""

from __future__ import annotations

from pathlib import Path

from generator.tmdl.tree import Document, Model

BOM_BYTES = b"\xef\xbb\xbf"


def document_text(document: Document) -> str:
    return "".join(line.raw for line in document.lines())


def write_document(document: Document) -> bytes:
    return (BOM_BYTES if document.bom else b"") + document_text(document).encode("utf-8")


def write(tree: Model | Document) -> dict[str, bytes]:
    """Relative path → file bytes for every document of the model (a lone document is keyed by its path)."""
    if isinstance(tree, Document):
        return {tree.path: write_document(tree)}
    return {path: write_document(document) for path, document in tree.documents.items()}


def write_folder(model: Model, folder: Path | str) -> list[Path]:
    """Write every document under ``folder``; returns the paths written."""
    folder = Path(folder)
    written = []
    for relative, data in write(model).items():
        target = folder / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        written.append(target)
    return written
