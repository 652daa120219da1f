"""JUnit XML: one <testsuite> per file with findings, one <testcase> per finding with a
<failure>, as ruff writes it. A run without findings is one passing test case; a file
that may hold LLM calls but was not checked (unreadable, over the size limit) is an
<error> test case, so CI never shows a pass for code that was not checked.

Deterministic: files and findings in sorted order, attributes in a fixed order, no
timestamps or durations.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

from promptlint.report import ReportOptions, visible, waste_text, where


def build(result, options: ReportOptions) -> ET.Element:
    findings = visible(result.findings, options)
    unchecked = [n for n in getattr(result, "not_checked", None) or () if n.may_hold_llm_calls]
    by_file: dict[str, list] = {}
    for f in findings:
        by_file.setdefault(f.path, []).append(f)
    root = ET.Element("testsuites", {"name": "promptlint", "tests": str(max(len(findings) + len(unchecked), 1)),
                                     "failures": str(len(findings)), "errors": str(len(unchecked))})
    for path in sorted(by_file):
        group = by_file[path]
        suite = ET.SubElement(root, "testsuite", {"name": path, "tests": str(len(group)),
                                                  "failures": str(len(group)), "errors": "0"})
        for f in group:
            case = ET.SubElement(suite, "testcase", {"name": f"{f.code} {f.name}", "classname": path,
                                                     "file": path, "line": str(f.span.line)})
            figure = waste_text(f)
            failure = ET.SubElement(case, "failure", {"message": f.message, "type": f.severity})
            failure.text = f"{where(f, options)}: {f.code} {f.message}" + (f" {figure}" if figure else "")
    if unchecked:
        suite = ET.SubElement(root, "testsuite", {"name": "files not checked", "tests": str(len(unchecked)),
                                                  "failures": "0", "errors": str(len(unchecked))})
        for item in sorted(unchecked, key=lambda n: n.path):
            case = ET.SubElement(suite, "testcase", {"name": f"{item.path} was checked", "classname": item.path,
                                                     "file": item.path})
            ET.SubElement(case, "error", {"message": f"not checked: {item.reason}", "type": "skipped"}).text = (
                f"{item.path}: not checked ({item.reason}); it may hold LLM calls")
    if not findings and not unchecked:
        suite = ET.SubElement(root, "testsuite", {"name": "promptlint", "tests": "1", "failures": "0", "errors": "0"})
        ET.SubElement(suite, "testcase", {"name": "no findings", "classname": "promptlint"})
    return root


def render(result, settings, stream, options: ReportOptions) -> None:
    root = build(result, options)
    ET.indent(root)
    stream.write('<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n")
