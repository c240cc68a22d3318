"""Where a worker task queues on a busy pool; Qt-free, so plain objects that run work can name it."""

from __future__ import annotations

from enum import IntEnum


class Priority(IntEnum):
    """Higher first (QThreadPool.start's priority); SAVE and above run on the door's writer pool."""

    READ = 0  # pages, counts, look-ups, exports
    SAVE = 10  # writes a person waits for: never behind reads
