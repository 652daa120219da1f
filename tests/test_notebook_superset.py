"""Notebooks whose kernel language extends Python (Coconut) are read as Python where cells parse."""

import json

from promptlint.engine import lint_source
from promptlint.settings import Settings


def notebook(language: str, cells: list[str]) -> bytes:
    return json.dumps({
        "nbformat": 4, "nbformat_minor": 5,
        "metadata": {"kernelspec": {"name": language, "language": language}},
        "cells": [{"cell_type": "code", "metadata": {}, "source": c, "outputs": [], "execution_count": None}
                  for c in cells],
    }).encode()


CELLS = [
    "from openai import OpenAI\nclient = OpenAI()\n",
    "data = range(5) |> map$(x -> x * 2) |> list\n",  # Coconut only
    "client.chat.completions.create(model='gpt-4o', messages=[], max_tokens=5)\n",
]


def test_coconut_cells_that_parse_are_analysed_and_others_are_left_out_quietly():
    result = lint_source("nb.ipynb", notebook("coconut", CELLS), Settings())
    assert [s.api for s in result.callsites] == ["chat.completions.create"]
    assert [f.code for f in result.findings if f.code == "PL000"] == []


def test_python_kernel_still_reports_a_cell_that_does_not_parse():
    result = lint_source("nb.ipynb", notebook("python", CELLS), Settings())
    assert [f.code for f in result.findings if f.code == "PL000"] == ["PL000"]


def test_other_languages_are_not_read():
    result = lint_source("nb.ipynb", notebook("julia", CELLS), Settings())
    assert result.callsites == []
