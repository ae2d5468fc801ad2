"""HTTP for everything the bot reads from the web: the shared clients, the SSRF guard
(checked at connect time), per-host politeness, and fetching with a byte cap and a deadline.

It knows nothing of feeds, articles or discussions; they all use it.
"""
