from app.llm.claude import Claude, FastClaude

SYSTEM = "You label customer e-mails as billing, shipping or other. Reply with the label only."


async def label(email):
    return await Claude(model="claude-sonnet-4-5").ainvoke([{"role": "user", "content": email}], SYSTEM)


async def label_fast(email):
    return await FastClaude(model="claude-haiku-4-5").ainvoke([{"role": "user", "content": email}], SYSTEM)
