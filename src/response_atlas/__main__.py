import sys

from response_atlas.cli import main

sys.exit(main())
