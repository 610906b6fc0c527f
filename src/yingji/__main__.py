"""Allow ``python -m yingji``."""

from yingji.cli import main

main()
