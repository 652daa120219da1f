RESPONSES = []


def save_response(response) -> None:
    RESPONSES.append(response)
