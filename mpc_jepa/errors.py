"""The library's errors: one root class, so a caller (the command line) can catch them all.

Every error names the bad value, file or setting. They are ``ValueError``s, so code that caught
``ValueError`` before keeps working. ``tasks.TaskError`` lives with the tasks (tasks never import
the toolkit) and is a ``ValueError`` too.
"""

from __future__ import annotations


class MpcJepaError(ValueError):
    """Root of the library's errors: bad input, named."""


class OutputError(MpcJepaError):
    """An output path cannot be written: a directory where a file goes, not writable, or holding
    something this toolkit did not write (it replaces only what carries its own marker)."""


class OutputLockedError(OutputError):
    """Another process is writing the same output."""


class ResourceError(MpcJepaError):
    """A request the machine cannot serve: a device it lacks, more memory or disk than it has."""


class NonFiniteError(MpcJepaError):
    """A NaN or infinity where numbers must be finite (data, losses, weights)."""


__all__ = ["MpcJepaError", "NonFiniteError", "OutputError", "OutputLockedError", "ResourceError"]
