"""Feeds as documents: parsing RSS/Atom into entries, and finding the feed a page advertises."""
