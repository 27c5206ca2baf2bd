"""``python -m assettui.cli.main_entry``: the same as the ``assettui`` command."""

import sys

from assettui.cli.main import main

if __name__ == "__main__":
    sys.exit(main())
