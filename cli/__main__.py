"""``python -m boundlab``: the same as the ``boundlab`` command."""
from boundlab.cli import main

raise SystemExit(main())
