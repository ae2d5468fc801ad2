"""Helpers shared by the cogs: showing outside text within Discord's limits, paged answers."""
