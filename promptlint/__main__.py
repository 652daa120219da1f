"""`python -m promptlint` runs the command line."""

import sys

from promptlint.cli import main

sys.exit(main())
