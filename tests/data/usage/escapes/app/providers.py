import boto3
from google import genai
from langchain_community.callbacks import get_openai_callback
from langchain_openai import ChatOpenAI

bedrock = boto3.client("bedrock-runtime")
gemini = genai.Client()
llm = ChatOpenAI(model="gpt-4.1-mini", max_tokens=200)


def converse(text: str) -> dict:
    response = bedrock.converse(
        modelId="anthropic.claude-3-5-haiku-20241022-v1:0",
        messages=[{"role": "user", "content": [{"text": text}]}],
        inferenceConfig={"maxTokens": 200},
    )
    usage = response["usage"]
    return {"text": response["output"]["message"]["content"][0]["text"], "input": usage["inputTokens"],
            "cached": usage.get("cacheReadInputTokens", 0), "output": usage["outputTokens"]}


def gemini_counts(text: str) -> tuple[str, int]:
    response = gemini.models.generate_content(model="gemini-2.5-flash", contents=text)
    return response.text, response.usage_metadata.prompt_token_count


def langchain_with_callback(text: str) -> str:
    with get_openai_callback() as cb:
        answer = llm.invoke(text)
    print(cb.total_cost)
    return answer.content


def langchain_metadata(text: str) -> dict:
    answer = llm.invoke(text)
    return {"text": answer.content, "usage": answer.usage_metadata}
