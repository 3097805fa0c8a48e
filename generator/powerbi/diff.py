"""A short, readable description of how a committed output differs from the generated one."""

from __future__ import annotations

import difflib

MAX_DIFF_LINES = 12


def describe_difference(current: bytes, expected: bytes, name: str) -> str:
    """The first lines of a unified diff for text files; sizes for binary ones."""
    try:
        old, new = current.decode("utf-8"), expected.decode("utf-8")
    except UnicodeDecodeError:
        return f"binary content differs ({len(current)} bytes on disk, {len(expected)} generated)"
    diff = list(difflib.unified_diff(old.splitlines(), new.splitlines(), f"{name} (on disk)",
                                     f"{name} (generated)", n=1, lineterm=""))
    if not diff:
        return "line endings or trailing whitespace differ"
    shown = diff[:MAX_DIFF_LINES]
    if len(diff) > MAX_DIFF_LINES:
        shown.append(f"... {len(diff) - MAX_DIFF_LINES} more diff lines")
    return "\n".join(shown)
