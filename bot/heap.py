"""Keeping the garbage collector's pauses short while the bot holds a large, long-lived heap
(the headline index, caches): after each poll cycle the objects still alive are collected
once and frozen, so later full collections walk only what came after, not the whole heap
(a full collection of a 250 MiB heap paused the event loop for about 80 ms).

During a cycle that grows the heap (a first poll of many feeds builds the index), what was
written is frozen every few batches written: otherwise the heap grows unfrozen and each full
collection walks more of it (one of them paused the loop for 150 ms). What is not frozen yet
is collected first (a batch's worth, quick to walk): garbage frozen with the rest would stay
until the next refreeze (at 3,000 feeds, 110 MiB by the end of a cycle).

Frozen objects are still freed when nothing refers to them; only a reference cycle among
them that dies later would be kept, so every `REFREEZE_CYCLES` cycles everything is
unfrozen and collected once, whole.
"""

from __future__ import annotations

import gc

# Container objects allocated (net) between two young collections; Python's default is 700.
# A poll makes objects that live for one feed's turn (its parsed document, its rows): at
# 700 most of them outlive a few young collections and are walked again in the older
# generations before they die; at 20,000 most die young, unwalked. Measured on a first poll
# of 1,000 feeds: about 0.35 s of CPU less (3%), across the bot's process and its workers.
YOUNG_COLLECTION_THRESHOLD = 20_000
OLDER_COLLECTION_THRESHOLDS = (20, 100)
REFREEZE_CYCLES = 24  # at the default 15-minute interval: every six hours
# A batch written leaves little to walk: collecting after each one cost a first poll of
# 1,000 feeds 0.9 s of the event loop's thread (300 collections finding next to nothing).
SETTLE_EVERY_WRITES = 8


def collect_less_often() -> None:
    """Set this process's collector for polling (`YOUNG_COLLECTION_THRESHOLD`): the bot's
    process and each worker call it as they start."""
    gc.set_threshold(YOUNG_COLLECTION_THRESHOLD, *OLDER_COLLECTION_THRESHOLDS)


class HeapSettler:
    # Counted for the whole process: every pipeline in it freezes the one heap.
    _cycles = 0

    def __init__(
        self, *, refreeze_every: int = REFREEZE_CYCLES, settle_every: int = SETTLE_EVERY_WRITES
    ) -> None:
        self._refreeze_every = refreeze_every
        self._settle_every = settle_every
        self._writes = 0

    def after_write(self) -> None:
        """Every `settle_every` writes: collect what is not frozen yet, then freeze what
        survives, so the collections the rest of the cycle makes walk only what comes
        after."""
        self._writes += 1
        if self._writes % self._settle_every == 0:
            gc.collect()
            gc.freeze()

    def after_cycle(self) -> None:
        """Collect what the cycle left behind, then freeze what survives."""
        HeapSettler._cycles += 1
        if HeapSettler._cycles % self._refreeze_every == 0:
            gc.unfreeze()
        gc.collect()
        gc.freeze()
