"""Allocation limits: what one operation may build before it fails the way .NET does when memory runs out.

PowerShell has no limits of its own here; .NET throws OutOfMemoryException when a string or an array cannot
be allocated, and PowerShell reports it as a statement-terminating error. A Python process would instead
grow until the machine kills it, so exshell refuses the allocation up front, with .NET's message
(docs/limits.md):

- a string of more than MAX_STRING_LENGTH characters (`'ab' * 2e9`, `'x'.PadLeft(2e9)`, `$s + $t`);
- an array of more than MAX_COLLECTION_LENGTH elements (`@(1) * 1e8`, `$a + $b`, the range `1..1e9`).
"""

from __future__ import annotations

from exshell.errors import Category, ErrorRecord, PSRuntimeError

MAX_STRING_LENGTH = 100_000_000
MAX_COLLECTION_LENGTH = 50_000_000
OUT_OF_MEMORY = "Exception of type 'System.OutOfMemoryException' was thrown."


def out_of_memory() -> PSRuntimeError:
    """The record PowerShell writes when an operator's allocation fails (OperationStopped, OutOfMemoryException)."""
    return PSRuntimeError(ErrorRecord(OUT_OF_MEMORY, "System.OutOfMemoryException", Category.OperationStopped,
                                      exception_type="OutOfMemoryException", activity=""))


def check_string_length(length: int) -> None:
    if length > MAX_STRING_LENGTH:
        raise out_of_memory()


def check_collection_length(length: int) -> None:
    if length > MAX_COLLECTION_LENGTH:
        raise out_of_memory()
