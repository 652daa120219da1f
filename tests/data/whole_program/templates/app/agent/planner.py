from datetime import datetime

from app.llm import chat
from app.prompts import PLAN_TEMPLATE


def plan(open_tickets):
    system = PLAN_TEMPLATE.substitute(today=datetime.now().strftime("%A %d %B"))
    return chat([{"role": "system", "content": system}, {"role": "user", "content": open_tickets}], max_tokens=700)
