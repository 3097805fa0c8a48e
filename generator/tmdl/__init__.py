"""Lossless TMDL reading and writing: every byte of a ``definition/`` folder survives a read/write round trip."""

from __future__ import annotations

from generator.tmdl.reader import TmdlSyntaxError, parse_text, read, read_file, read_folder
from generator.tmdl.tree import Document, Line, Model, Node
from generator.tmdl.writer import write, write_document, write_folder

__all__ = [
    "Document",
    "Line",
    "Model",
    "Node",
    "TmdlSyntaxError",
    "parse_text",
    "read",
    "read_file",
    "read_folder",
    "write",
    "write_document",
    "write_folder",
]
