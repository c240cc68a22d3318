"""Where a worker task queues on a busy pool; Qt-free, so plain objects that run work can name it."""

from __future__ import annotations

from enum import IntEnum


class Priority(IntEnum):
    """Higher first (QThreadPool.start's priority); a SAVE on a full pool also gets a thread of its own."""

    READ = 0  # pages, counts, look-ups, exports
    SAVE = 10  # writes a person waits for: never behind reads
