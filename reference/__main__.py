"""python -m reference: the dealias command line."""

from reference.cli import main

raise SystemExit(main())
