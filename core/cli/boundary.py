"""The command line's error boundary: an error a user can act on is one line on stderr, a bug goes to the
log with its traceback (redacted by the log's formatter, core/logs.py) and to stderr as its type only."""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Callable

from core.errors import WardenError

log = logging.getLogger("warden.cli")
EXIT_USER_ERROR = 2
EXIT_BUG = 1
EXIT_INTERRUPTED = 130


def guarded(action: Callable[[], int], what: str = "command") -> int:
    """Run `action` behind the error boundary; its exit code, or the boundary's for a failure."""
    from core.logs import setup_logging

    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    log_path = setup_logging()
    try:
        return action()
    except WardenError as exc:  # core has turned driver failures into these (core/engine/driver_errors.py)
        return fail(str(exc))
    except KeyboardInterrupt:
        return fail("interrupted", code=EXIT_INTERRUPTED)
    except BrokenPipeError:
        # The reader went away (e.g. `| head`); that is not an error of ours.
        sys.stderr.close()
        return 0
    except Exception as exc:
        log.exception("internal error in %s", what)
        # The type only: a bug's message may quote SQL or row values; the log has it, redacted.
        return fail(f"internal error: {type(exc).__name__} (details in {log_path})", code=EXIT_BUG)


def fail(message: str, code: int = EXIT_USER_ERROR) -> int:
    """Print `message` as one line on stderr and return the exit code."""
    first = " ".join(message.split())
    print(f"warden: error: {first}", file=sys.stderr)
    return code
