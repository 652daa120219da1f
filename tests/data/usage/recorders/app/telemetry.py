import json


def record_call(task: str, response) -> None:
    with open("calls.jsonl", "a", encoding="utf-8") as fh:
        fh.write(json.dumps({"task": task, "response": response.model_dump()}) + "\n")
