"""discord.py extensions: thin adapters from Discord interactions to the core in `bot/`."""
