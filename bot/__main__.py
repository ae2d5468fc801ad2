import sys

from bot.cli import main

# Guarded: worker processes are spawned, and a spawned process imports this module again.
if __name__ == "__main__":
    sys.exit(main())
