"""Content, pure: HTML to clean text, articles out of web pages, item identity, relevance."""
