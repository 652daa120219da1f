from datetime import date

from app.llm import chat
from app.prompts import DIGEST_PROMPT


def digest(tickets):
    # The date comes after all the static text: the prefix stays cacheable.
    system = DIGEST_PROMPT.format(current_date=date.today().isoformat())
    return chat([{"role": "system", "content": system}, {"role": "user", "content": tickets}], max_tokens=900)
