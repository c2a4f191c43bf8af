"""``python -m eventslots``: the same as the ``eventslots`` command."""

import sys

from eventslots.cli.main import main

sys.exit(main())
