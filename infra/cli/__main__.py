"""`python -m infra.cli` runs the same command line as the `percapita` console script."""

from infra.cli import main

raise SystemExit(main())
