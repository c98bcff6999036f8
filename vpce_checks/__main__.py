import sys

from vpce_checks.cli import main

sys.exit(main())
