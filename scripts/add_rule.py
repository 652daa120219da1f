#!/usr/bin/env python
"""Scaffold a new rule: its document, its module, its registry line, its generated page.

    python scripts/add_rule.py PL703 unbounded-retries --severity warning \
        --summary "A retry loop around an LLM call has no attempt limit."

writes
  rules/PL703.yaml                                   name, severity, options, sections, examples
  promptlint/checks/pl703_unbounded_retries.py      class UnboundedRetries(Check)
  the code in the registry (REGISTRY in promptlint/checks/)
  docs/rules/PL703.md and docs/rules/index.md      (scripts/gen_rule_docs.py)

The new rule works at once, as a toy: it reports every LLM call that does not pass the
keyword named by its option `keyword` (default `user`), and its document holds a fire and a
quiet example for that, which tests/test_rule_examples.py runs. Replace the logic, the
option, the text and the examples with the real ones; the name, severity and options stay
declared in the document only (the class reads them from there).

Codes PL900-PL999 are reserved for tests (never registered) and refused here.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
REGISTRY_START = "REGISTRY: tuple[str, ...] = ("

DOCUMENT = '''code: {code}
name: {name}
severity: {severity}
summary: {summary}
tags: [cost, llm]
parameters:
  keyword:
    type: string
    default: user
    help: the keyword argument every LLM call must pass (the scaffold's toy condition; replace it)

what it does: |
  TODO: what the rule finds, precisely enough that a reader can predict every finding.
  As scaffolded, it reports every LLM call that does not pass the `keyword` option's argument.

why it costs: |
  TODO: how the pattern wastes tokens or money, with a figure when there is one.

example: |
  ```python
  client.chat.completions.create(model="gpt-4.1-mini", max_completion_tokens=200, messages=messages)
  ```

use instead: |
  TODO: the fix, as code.

cost estimate: |
  TODO: how the finding's waste figure is computed (kind and formula), or "None".

options: |
  ```toml
  [tool.promptlint.rules.{code}]
  keyword = "user"
  ```

known false positives: |
  TODO: where the rule is wrong, and what the user can do about it.

examples:
  fire:
    - |
      from openai import OpenAI

      client = OpenAI()


      def answer(question: str) -> str:
          reply = client.chat.completions.create(  # <- {code}
              model="gpt-4.1-mini",
              max_completion_tokens=200,
              messages=[{{"role": "user", "content": question}}],
          )
          return reply.choices[0].message.content
    - |
      import anthropic

      claude = anthropic.Anthropic()


      def summarize(text: str) -> str:
          reply = claude.messages.create(  # <- {code}
              model="claude-haiku-4-5",
              max_tokens=300,
              messages=[{{"role": "user", "content": text}}],
          )
          return reply.content[0].text
  quiet:
    - |
      from openai import OpenAI

      client = OpenAI()


      def answer(question: str, account: str) -> str:
          reply = client.chat.completions.create(
              model="gpt-4.1-mini",
              max_completion_tokens=200,
              messages=[{{"role": "user", "content": question}}],
              user=account,
          )
          return reply.choices[0].message.content
    - |
      # No LLM call: nothing to report.
      def answer(question: str) -> str:
          return question.strip()
'''

MODULE = '''from collections.abc import Iterator

from promptlint.checks.base import Check, FileContext
from promptlint.model import Finding


class {class_name}(Check):
    """{summary}"""

    code = "{code}"  # name, severity and options: rules/{code}.yaml

    def run(self, ctx: FileContext) -> Iterator[Finding]:
        keyword = self.option("keyword")
        for site in ctx.callsites:
            if keyword in site.keywords or site.kwargs_opaque:
                continue  # a `**kwargs` the analysis cannot see into may pass it: stay silent
            yield self.finding(ctx, site.span, f"`{{site.callee}}` does not pass `{{keyword}}`",
                               call_span=site.call_span, scope=site.in_function, snippet=site.callee, site=site)
'''


def fail(message: str) -> int:
    print(f"add_rule: {message}", file=sys.stderr)
    return 2


def registry_file(root: Path) -> Path:
    for path in sorted((root / "promptlint" / "checks").glob("*.py")):
        if REGISTRY_START in path.read_text(encoding="utf-8"):
            return path
    raise FileNotFoundError(f"no `{REGISTRY_START}` under promptlint/checks/")


def register(path: Path, code: str) -> None:
    """Add the code as the last entry of the REGISTRY tuple."""
    text = path.read_text(encoding="utf-8")
    start = text.index(REGISTRY_START)
    end = text.index("\n)", start)
    path.write_text(text[:end] + f'\n    "{code}",' + text[end:], encoding="utf-8")


def main(argv: list[str] | None = None, root: Path = ROOT) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("code", help="PLxxx, not yet registered (PL900-PL999 are reserved for tests)")
    parser.add_argument("name", help="kebab-case, e.g. unbounded-retries")
    parser.add_argument("--severity", default="warning", choices=("error", "warning", "info"))
    parser.add_argument("--summary", default=None, help="one sentence, ending with a period")
    args = parser.parse_args(argv)

    code, name = args.code.upper(), args.name
    if not re.fullmatch(r"PL\d{3}", code):
        return fail(f"'{args.code}' is not a rule code (PL followed by three digits)")
    if 900 <= int(code[2:]) <= 999:
        return fail(f"{code}: PL900-PL999 are reserved for tests and never registered")
    if not re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", name):
        return fail(f"'{name}' is not kebab-case (lower-case words joined by '-')")
    summary = args.summary or f"TODO: one sentence on what {name.replace('-', ' ')} costs."
    if not summary.endswith(".") or "\n" in summary:
        return fail("--summary must be one sentence ending with a period")
    document = root / "rules" / f"{code}.yaml"
    module_name = f"{code.lower()}_{name.replace('-', '_')}"
    module = root / "promptlint" / "checks" / f"{module_name}.py"
    registry = registry_file(root)
    if document.exists() or f'"{code}"' in registry.read_text(encoding="utf-8"):
        return fail(f"{code} is already taken")
    if module.exists():
        return fail(f"{module} already exists")

    document.write_text(DOCUMENT.format(code=code, name=name, severity=args.severity, summary=summary),
                        encoding="utf-8")
    class_name = "".join(word.capitalize() for word in name.split("-"))
    module.write_text(MODULE.format(code=code, class_name=class_name, summary=summary), encoding="utf-8")
    register(registry, code)
    done = subprocess.run([sys.executable, str(root / "scripts" / "gen_rule_docs.py")], cwd=root)
    if done.returncode:
        return fail("scripts/gen_rule_docs.py failed; the files above are written, fix and rerun it")
    for path in (document, module, registry, root / "docs" / "rules" / f"{code}.md"):
        print(f"wrote {path.relative_to(root)}")
    print(f"next: edit the TODOs in rules/{code}.yaml and the logic in {module.relative_to(root)}, then run "
          f"pytest tests/test_rule_examples.py -k {code}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
