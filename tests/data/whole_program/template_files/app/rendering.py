from datetime import date

from app.templates import load_prompt


def report_system():
    return load_prompt("report").render(day=date.today().isoformat())
