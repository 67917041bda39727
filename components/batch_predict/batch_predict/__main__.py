import sys

from batch_predict.cli import main

sys.exit(main())
