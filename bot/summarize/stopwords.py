"""Stop words: the lowercase words that say nothing about what a text is about.

`ENGLISH` is for prose (articles, release notes, prompts); `CONVERSATION` adds what comment
threads are full of without it being their subject: fillers ("really", "pretty", "yeah") and
the words of agreeing or disagreeing, which reply cues read instead.
"""

from __future__ import annotations

# Space-separated, to keep the lists readable.
_ENGLISH = """
    a about above after again against all also am an and any are aren't as at be because been
    before being below between both but by can can't cannot could couldn't did didn't do does
    doesn't doing don't down during each even ever every few for from further get gets got had
    hadn't has hasn't have haven't having he he'd he'll he's her here here's hers herself him
    himself his how how's however i i'd i'll i'm i've if in into is isn't it it's its itself
    just let's like make makes many may me might more most much must mustn't my myself new no
    nor not now of off on once one only or other others our ours ourselves out over own per
    same shall she she'd she'll she's should shouldn't so some such than that that's the their
    theirs them themselves then there there's these they they'd they'll they're they've this
    those through to too two under until up upon us use used using very via was wasn't we we'd
    we'll we're we've well were weren't what what's when when's where where's whether which
    while who who's whom why why's will with within without won't would wouldn't yet you you'd
    you'll you're you've your yours yourself yourselves
"""
_CONVERSATION = """
    lot lots people pretty probably quite rather re really say says see seems still sure thing
    things think though want way yeah yes
    agree agreed disagree exactly actually absolutely right wrong true nope
"""

ENGLISH: frozenset[str] = frozenset(_ENGLISH.split())
CONVERSATION: frozenset[str] = ENGLISH | frozenset(_CONVERSATION.split())
