"""What persists between runs or sits in the checked files beside the code: the cache,
the baseline, suppression comments, `--add-noqa` and finding fingerprints. Reads only
the base modules; see tests/test_layers.py."""
