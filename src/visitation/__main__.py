"""``python -m visitation``: the same as the ``visitation`` command."""

import sys

from visitation.cli import main

if __name__ == "__main__":
    sys.exit(main())
