"""`python -m appeals.cli`."""

from appeals.cli.main import main

raise SystemExit(main())
