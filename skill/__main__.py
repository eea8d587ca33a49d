"""`python -m skill` is the `hamstring` command."""

import sys

from skill.cli import main

sys.exit(main())
