"""Where the prompt files live: a module constant naming the folder."""

import os

PROMPT_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "prompts")
