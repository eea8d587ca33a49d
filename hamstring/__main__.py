"""`python -m hamstring` is the `hamstring` command."""

import sys

from hamstring.main import main

sys.exit(main())
