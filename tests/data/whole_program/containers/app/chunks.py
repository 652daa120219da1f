from dataclasses import dataclass, field


@dataclass
class MessageChunks:
    """The parts of one request, in the order they are sent."""

    system: list = field(default_factory=list)
    examples: list = field(default_factory=list)
    history: list = field(default_factory=list)
    current: list = field(default_factory=list)

    def all_messages(self):
        return self.system + self.examples + self.history + self.current
