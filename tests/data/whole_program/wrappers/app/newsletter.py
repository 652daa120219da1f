from app.llm import ask_llm, ask_short, chat


def intro(month):
    return chat([{"role": "user", "content": f"Write the intro for {month}."}], model="gpt-4o")


def outro(month):
    return chat([{"role": "user", "content": f"Write the closing lines for {month}."}], model="gpt-4o", max_tokens=200)


def blurb(title):
    return ask_llm(f"A two-line blurb for {title}.")


def teaser(title):
    return ask_short(f"A one-line teaser for {title}.")
