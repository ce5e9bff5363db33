"""``python -m dltips``: the same as the ``dltips`` command."""

import sys

from dltips.cli import main

sys.exit(main())
