"""`python -m xlmr.tokenizer` is `xlmr-tokenizer`."""

import sys

from .cli import main

sys.exit(main())
