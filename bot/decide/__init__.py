"""Every decision of the bot, as pure functions over frozen dataclasses.

No I/O and no clock reads here (the time is an argument): what is new and which channel
gets it (`entries`), post, thread note or recap (`deliveries`), which story an item tells
again (`stories`), when to poll next and when to give up on a feed (`schedule`), and what
to do with an outbox row given Discord's answer (`outbox`). Services carry these out.
"""
