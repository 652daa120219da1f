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


CLIENT_FROM_PARAMS = '''
from openai import OpenAI


class Chat:
    def __init__(self, api_key=None, default_headers=None):
        self.api_key = api_key
        self.default_headers = default_headers

    def client(self):
        params = {"api_key": self.api_key, "default_headers": self.default_headers}
        return OpenAI(**{PARAMS})

    def ask(self, q):
        return self.client().chat.completions.create(model="gpt-4o-mini", messages=[{{"role": "user", "content": q}}], max_tokens=50)
'''


def codes(source: str) -> list[str]:
    return [f.code for f in lint_source("app.py", source.encode(), Settings()).findings]


def test_a_client_built_from_parameters_it_cannot_list_may_carry_the_tag():
    # browser-use's provider class: the client's arguments filtered by a comprehension, so
    # default_headers (set by whoever builds Chat) may be among them: not reported.
    hidden = CLIENT_FROM_PARAMS.replace("{PARAMS}", "{k: v for k, v in params.items() if v is not None}")
    assert "PL201" not in codes(hidden)


def test_a_client_whose_arguments_are_all_visible_and_untagged_is_reported():
    listed = CLIENT_FROM_PARAMS.replace('"default_headers": self.default_headers', '"timeout": 30').replace(
        "{PARAMS}", "params")
    assert "PL201" in codes(listed)


def test_a_bedrock_client_built_from_a_config_dict_is_still_reported():
    # boto3 clients take no tagging argument, so `**aws_config` hides no tag (mem0's provider).
    source = '''
import boto3


class Bedrock:
    def __init__(self, aws_config):
        self.client = boto3.client("bedrock-runtime", **aws_config)

    def ask(self, q):
        return self.client.converse(modelId="anthropic.claude-3-haiku", messages=[{"role": "user", "content": [{"text": q}]}], inferenceConfig={"maxTokens": 50})
'''
    assert "PL201" in codes(source)
