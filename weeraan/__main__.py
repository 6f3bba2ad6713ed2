"""``python -m weeraan`` is the same as the ``weeraan`` command."""

import sys

from weeraan.cli import main

sys.exit(main())
