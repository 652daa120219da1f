"""PL201 names a tagging mechanism that works for the client at hand, in one short line."""

from __future__ import annotations

import pytest

from promptlint.engine import lint_source
from promptlint.settings import Settings


def pl201(source: str):
    findings = [f for f in lint_source("app.py", source.encode(), Settings()).findings if f.code == "PL201"]
    assert len(findings) == 1, findings
    return findings[0].message


GEMINI = '''
from google import genai

client = genai.Client({args})


def ask(q):
    return client.models.generate_content(model="gemini-2.5-flash", contents=q)
'''

BEDROCK = '''
import json
import boto3

runtime = boto3.client("bedrock-runtime")


def ask(q):
    return runtime.{call}
'''
CONVERSE = 'converse(modelId="anthropic.claude-3-haiku", messages=[{"role": "user", "content": [{"text": q}]}])'
INVOKE = 'invoke_model(modelId="anthropic.claude-3-haiku", body=json.dumps({"prompt": q, "max_tokens": 5}))'

ANTHROPIC = '''
import anthropic

client = anthropic.Anthropic()


def ask(q):
    return client.messages.create(model="claude-sonnet-4-5", max_tokens=5, messages=[{"role": "user", "content": q}])
'''


def test_gemini_developer_api_client_is_not_told_to_use_labels():
    message = pl201(GEMINI.format(args='api_key="k"'))
    assert "add `config.labels`" not in message
    assert "configured decorator" in message and "only on Vertex AI" in message


def test_vertex_client_is_told_to_use_labels():
    message = pl201(GEMINI.format(args='vertexai=True, project="p", location="us-central1"'))
    assert "add `config.labels`" in message


def test_a_file_with_both_clients_says_labels_work_on_vertex_only():
    source = GEMINI.format(args='api_key="k"').replace(
        'client = genai.Client(api_key="k")',
        'client = genai.Client(vertexai=True) if USE_VERTEX else genai.Client(api_key="k")')
    message = pl201("USE_VERTEX = False\n" + source)
    assert "on the Vertex AI client only" in message


def test_bedrock_converse_gets_request_metadata_but_invoke_model_does_not():
    assert "requestMetadata" in pl201(BEDROCK.format(call=CONVERSE))
    message = pl201(BEDROCK.format(call=INVOKE))
    assert "add `requestMetadata" not in message and "InvokeModel has no metadata field" in message


def test_anthropic_header_is_suggested_only_behind_a_gateway():
    message = pl201(ANTHROPIC)
    assert "if a gateway reads it" in message and "configured decorator" in message


@pytest.mark.parametrize("source", [GEMINI.format(args=""), BEDROCK.format(call=INVOKE), ANTHROPIC])
def test_message_is_one_short_line(source):
    message = pl201(source)
    assert "\n" not in message and len(message) <= 160
    assert "cannot be attributed" not in message  # the explanation lives in rules/PL201.yaml
