import sys

from isoaudit.cli import main

sys.exit(main())
