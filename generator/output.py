"""Atomic file output: write to a temporary file beside the target, then rename over it."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path

from generator.errors import ToolError


def write_text_atomically(path: Path, content: str) -> None:
    """Write ``content`` (UTF-8, LF line endings) to ``path`` so that readers see the old or the new file,
    never a half-written one."""
    write_bytes_atomically(path, content.encode("utf-8"))


def readable_mode() -> int:
    """The permission bits a newly created file gets under the current umask (mkstemp would give 0600)."""
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


def write_bytes_atomically(path: Path, content: bytes) -> None:
    """Write ``content`` to ``path`` through a temporary file and an atomic rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(content)
        os.chmod(temporary, readable_mode())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def write_files_atomically(targets: dict[Path, bytes], progress: Callable[[str], None] | None = None) -> None:
    """Write several files as one change: every file is first staged as a temporary file beside its target,
    and only when all are staged are they renamed into place. A failure while staging removes the temporary
    files and raises :class:`ToolError`; nothing was changed."""
    staged: list[tuple[str, Path]] = []
    mode = readable_mode()
    current = None
    try:
        for current, content in targets.items():
            current.parent.mkdir(parents=True, exist_ok=True)
            handle, temporary = tempfile.mkstemp(prefix=f".{current.name}.", dir=current.parent)
            staged.append((temporary, current))
            with os.fdopen(handle, "wb") as stream:
                stream.write(content)
            os.chmod(temporary, mode)
    except BaseException as exc:
        for temporary, _ in staged:
            Path(temporary).unlink(missing_ok=True)
        if isinstance(exc, OSError):
            raise ToolError(f"cannot write {current}: {exc.strerror or exc}; nothing was changed") from None
        raise
    for temporary, path in staged:
        os.replace(temporary, path)
        if progress:
            progress(str(path))


def refuse_paths_outside(root: Path, paths: Iterable[Path], what: str) -> None:
    """Raise :class:`ToolError` naming the first of ``paths`` that, with every symbolic link followed, does not
    lie inside ``root`` (``what`` names the folder in the message: "the model folder", "the output folder").

    Call it before writing anything, so that a linked folder inside the target (``definition/tables`` pointing
    elsewhere) cannot make a write, a read or a delete land outside it."""
    base = root.resolve()
    for path in paths:
        real = path.resolve()
        if real != base and not real.is_relative_to(base):
            raise ToolError(f"{path} leads outside {what} {root} (a symbolic link points it to {real}); "
                            "nothing was written")
