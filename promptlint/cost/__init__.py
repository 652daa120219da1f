"""Tokens and dollars: token counts, prompt prefixes, prices, and the on-disk memo of
both (facts). Reads the base modules, analysis and state; see tests/test_layers.py."""
