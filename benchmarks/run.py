"""`make bench`: run the benchmarks and write benchmarks/RESULTS.md (see mpc_jepa/apps/bench/)."""

import sys

from mpc_jepa.cli import main

if __name__ == "__main__":
    sys.exit(main(["bench", *sys.argv[1:]]))
