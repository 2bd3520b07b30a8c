"""``python -m mpc_jepa ...`` (and ``torchrun ... -m mpc_jepa train ...``): the ``mpc-jepa`` command
line."""

import sys

from mpc_jepa.cli import main

sys.exit(main())
