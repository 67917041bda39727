"""`python -m serve`: the image's entry point (see serve.cli)."""

import sys

from serve.cli import main

sys.exit(main())
