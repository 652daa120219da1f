from app.llm import ask, complete, tagged


def summarize(text):
    return complete([{"role": "user", "content": "Summarize: " + text}])


def classify(text):
    return complete([{"role": "user", "content": "Classify: " + text}], metadata={"task": "classify"})


def translate(text, **options):
    return complete([{"role": "user", "content": "Translate: " + text}], **options)


def faq(question):
    return ask(question)


def title(text):
    return tagged([{"role": "user", "content": "Title for: " + text}], "title")
