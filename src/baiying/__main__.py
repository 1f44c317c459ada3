"""`python -m baiying` is the `baiying` command."""

from baiying.cli import main

main()
