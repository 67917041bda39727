import sys

from register.cli import main

sys.exit(main())
