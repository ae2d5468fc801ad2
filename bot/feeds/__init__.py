"""Feed fetching, parsing and polling."""
