"""Content handling: HTML to clean text and item identity."""
