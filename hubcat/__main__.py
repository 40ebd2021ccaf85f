"""``python -m hubcat``: the same as the ``hubcat`` command."""
from hubcat.cli import main

main()
