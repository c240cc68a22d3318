"""The GUI's runtime: the one worker door, the GC guard, core calls run on workers."""
