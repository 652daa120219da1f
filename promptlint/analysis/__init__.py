"""What a module's code does, read without running it: the index of definitions and
calls, the symbolic evaluator and its values, the catalog look-ups, the call sites and
their prompts. Reads only the base modules (model, settings, ruledocs); see
tests/test_layers.py."""
