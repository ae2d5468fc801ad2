import sys

# Guarded, imports too: worker processes are spawned, and a spawned process imports this
# module again (as __mp_main__); it must not import the whole bot (each worker would hold it).
if __name__ == "__main__":
    from bot.cli import main

    sys.exit(main())
