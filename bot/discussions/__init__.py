"""Discussions (Hacker News, Reddit) in one place: reading and cleaning their comments
(`comments`), recapping them offline (`recap`) or through the LLM (`llm_recap`), and the
service that writes each queued recap before it is sent (`service`)."""
