"""``python -m bot.cli``: the same as the ``yorozu`` command."""

import sys

from bot.cli import main

sys.exit(main())
