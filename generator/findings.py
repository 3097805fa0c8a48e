"""Findings shared by ``lint`` and ``check``, and the CI formats they are written in.

A :class:`Finding` is one problem on one object. The renderers turn a list of findings into plain text,
JSON, GitHub Actions workflow commands or a JUnit XML report; every renderer sorts the findings the same
way (most severe first, then rule id, object name and message), so outputs are deterministic.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable
from dataclasses import dataclass

from generator.errors import ToolError
from generator.semantic.location import Location

SEVERITY_NAMES = {1: "info", 2: "warning", 3: "error"}
FAIL_ON_CHOICES = ("info", "warning", "error", "never")
_GITHUB_COMMANDS = {1: "notice", 2: "warning", 3: "error"}
_THRESHOLDS = {"info": 1, "warning": 2, "error": 3}
# Characters XML 1.0 cannot carry at all, and other control characters that would break a one-line text layout.
_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")


@dataclass(frozen=True)
class Finding:
    """One problem found on one model object (or one compared item), with a hint how to fix it."""

    rule_id: str
    severity: int
    object_type: str
    object_name: str
    message: str
    hint: str
    file: str | None = None
    line: int | None = None

    @property
    def location(self) -> Location | None:
        """Where the finding is, as the project's one position type (None when it names no file)."""
        return None if self.file is None else Location(self.file, self.line or 0)

    @property
    def severity_name(self) -> str:
        """``info``, ``warning`` or ``error``."""
        return SEVERITY_NAMES.get(self.severity, str(self.severity))


def sort_findings(findings: Iterable[Finding]) -> list[Finding]:
    """The findings in the one order every output uses: severity (highest first), rule id, object, message."""
    return sorted(
        findings,
        key=lambda f: (-f.severity, f.rule_id, f.object_name, f.message, f.object_type, f.hint, f.file or "",
                       f.line or 0),
    )


def count_by_severity(findings: Iterable[Finding]) -> dict[str, int]:
    """How many findings there are per severity name, every severity present (``error``, ``warning``, ``info``)."""
    counts = {name: 0 for _, name in sorted(SEVERITY_NAMES.items(), reverse=True)}
    for finding in findings:
        counts[finding.severity_name] = counts.get(finding.severity_name, 0) + 1
    return counts


def _visible(text: str) -> str:
    """``text`` with control characters written as escapes, so that a finding stays on one line."""

    def escape(match: re.Match[str]) -> str:
        char = match.group(0)
        return {"\n": "\\n", "\r": "\\r", "\t": "\\t"}.get(char, f"\\x{ord(char):02x}")

    return _CONTROL.sub(escape, text)


def _location(finding: Finding) -> str:
    if finding.file is None:
        return ""
    return f"{finding.file}:{finding.line}: " if finding.line is not None else f"{finding.file}: "


def _summary(findings: list[Finding]) -> str:
    counts = count_by_severity(findings)
    parts = ", ".join(f"{count} {name}" for name, count in counts.items())
    noun = "finding" if len(findings) == 1 else "findings"
    return f"{len(findings)} {noun} ({parts})"


def format_finding(finding: Finding) -> str:
    """One finding as one line: ``severity RULE_ID object: message (fix: hint)``, prefixed by ``file:line:``."""
    line = (f"{_location(finding)}{finding.severity_name} {finding.rule_id} {finding.object_type} "
            f"{finding.object_name}: {finding.message}")
    if finding.hint:
        line += f" (fix: {finding.hint})"
    return _visible(line)


def render_text(findings: Iterable[Finding], *, title: str) -> str:
    """Plain text: one line per finding, then a summary line with the counts per severity."""
    ordered = sort_findings(findings)
    if not ordered:
        return f"{title}: no findings\n"
    lines = [format_finding(finding) for finding in ordered]
    lines.append(f"{title}: {_summary(ordered)}")
    return "\n".join(lines) + "\n"


def _as_dict(finding: Finding) -> dict[str, object]:
    return {
        "rule_id": finding.rule_id,
        "severity": finding.severity,
        "severity_name": finding.severity_name,
        "object_type": finding.object_type,
        "object_name": finding.object_name,
        "message": finding.message,
        "hint": finding.hint,
        "file": finding.file,
        "line": finding.line,
    }


def render_json(findings: Iterable[Finding]) -> str:
    """JSON: ``{"findings": [...], "summary": {"total", "error", "warning", "info"}}``, keys in a fixed order."""
    ordered = sort_findings(findings)
    document = {
        "findings": [_as_dict(finding) for finding in ordered],
        "summary": {"total": len(ordered), **count_by_severity(ordered)},
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def _github_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _github_property(text: str) -> str:
    return _github_data(text).replace(":", "%3A").replace(",", "%2C")


def render_github(findings: Iterable[Finding]) -> str:
    """GitHub Actions workflow commands (``::error file=F,line=L,title=RULE::message``), one per finding,
    escaped as the Actions toolkit escapes data and properties."""
    lines = []
    for finding in sort_findings(findings):
        properties = []
        if finding.file is not None:
            properties.append(f"file={_github_property(finding.file)}")
            if finding.line is not None:
                properties.append(f"line={finding.line}")
        properties.append(f"title={_github_property(finding.rule_id)}")
        message = f"{finding.object_type} {finding.object_name}: {finding.message}"
        if finding.hint:
            message += f" (fix: {finding.hint})"
        command = _GITHUB_COMMANDS.get(finding.severity, "warning")
        lines.append(f"::{command} {','.join(properties)}::{_github_data(message)}")
    return "".join(line + "\n" for line in lines)


def _xml_text(text: str) -> str:
    """``text`` without the characters XML 1.0 cannot represent (they are written as ``\\xNN``)."""
    return _XML_INVALID.sub(lambda m: f"\\x{ord(m.group(0)):02x}", text)


def _testcase_of(finding: Finding, checked: set[str]) -> str:
    if finding.rule_id in checked:
        return finding.rule_id
    if finding.object_name in checked:
        return finding.object_name
    return finding.rule_id


def junit_xml(findings: Iterable[Finding], *, suite: str, checked: list[str]) -> str:
    """A JUnit XML report: one ``<testsuite>`` named ``suite`` with one ``<testcase>`` per checked item.

    A finding belongs to the testcase named like its rule id, else like its object name; findings that match
    no checked item get a testcase of their own (named by rule id), so none is lost. Each finding is one
    ``<failure>`` element of its testcase.
    """
    ordered = sort_findings(findings)
    names = list(dict.fromkeys(checked))
    known = set(names)
    by_case: dict[str, list[Finding]] = {}
    for finding in ordered:
        by_case.setdefault(_testcase_of(finding, known), []).append(finding)
    names += sorted(name for name in by_case if name not in known)

    failing = sum(1 for name in names if by_case.get(name))
    root = ET.Element("testsuite", {
        "name": _xml_text(suite),
        "tests": str(len(names)),
        "failures": str(failing),
        "errors": "0",
        "skipped": "0",
    })
    for name in names:
        case = ET.SubElement(root, "testcase", {"classname": _xml_text(suite), "name": _xml_text(name)})
        for finding in by_case.get(name, []):
            failure = ET.SubElement(case, "failure", {
                "message": _xml_text(f"{finding.object_type} {finding.object_name}: {finding.message}"),
                "type": finding.severity_name,
            })
            failure.text = _xml_text(format_finding(finding))
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def exceeds(findings: Iterable[Finding], fail_on: str) -> bool:
    """Whether any finding is at least as severe as ``fail_on`` (``info``, ``warning``, ``error``);
    ``never`` never fails."""
    if fail_on not in FAIL_ON_CHOICES:
        raise ToolError(f"--fail-on must be one of {', '.join(FAIL_ON_CHOICES)}, not {fail_on!r}.")
    if fail_on == "never":
        return False
    threshold = _THRESHOLDS[fail_on]
    return any(finding.severity >= threshold for finding in findings)
