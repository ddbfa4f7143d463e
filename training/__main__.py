"""Entry point for `python -m training`."""
import sys

from .cli import main

sys.exit(main())
