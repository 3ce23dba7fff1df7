"""The error hierarchy. Every error the user can cause is an ExshellError; nothing else reaches the screen.

PowerShell's model: an ErrorRecord (message, FullyQualifiedErrorId, category, target, position) is either
written (non-terminating) or thrown inside an exception that stops a statement or the script.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from exshell.lang.position import Span


class ExshellError(Exception):
    """Root of every error exshell raises on purpose."""


# PowerShell's ErrorCategory names, the ones this project uses.
class Category:
    NotSpecified = "NotSpecified"
    InvalidArgument = "InvalidArgument"
    InvalidData = "InvalidData"
    InvalidOperation = "InvalidOperation"
    InvalidType = "InvalidType"
    ObjectNotFound = "ObjectNotFound"
    ParserError = "ParserError"
    PermissionDenied = "PermissionDenied"
    ResourceExists = "ResourceExists"
    ResourceUnavailable = "ResourceUnavailable"
    WriteError = "WriteError"
    ReadError = "ReadError"
    OperationStopped = "OperationStopped"
    NotImplemented = "NotImplemented"
    SecurityError = "SecurityError"
    LimitsExceeded = "LimitsExceeded"


@dataclass(slots=True)
class ErrorRecord:
    """What PowerShell calls an ErrorRecord. `error_id` is the stable FullyQualifiedErrorId."""

    message: str
    error_id: str
    category: str = Category.NotSpecified
    target: Any = None
    target_name: str = ""
    target_type: str = ""
    exception_type: str = "RuntimeException"
    command: str | None = None  # the command as invoked (alias or name), prefix of the message
    activity: str | None = None  # the [Activity] in CategoryInfo, usually the cmdlet name
    span: Span | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def __str__(self) -> str:
        return self.message

    @property
    def fully_qualified_error_id(self) -> str:
        return self.error_id

    @property
    def exception(self) -> "ExceptionInfo":
        """`$_.Exception` in a catch block: `.Message` and the exception type name (added by runtime)."""
        return ExceptionInfo(self.message, self.exception_type)

    @property
    def category_info(self) -> str:
        # An explicitly empty activity stays empty: CommandNotFoundException shows `[]` (binding.md §12.2).
        activity = self.activity if self.activity is not None else (self.command or "")
        return (
            f"{self.category}: ({self.target_name}:{self.target_type}) "
            f"[{activity}], {self.exception_type}"
        )


@dataclass(frozen=True, slots=True)
class ExceptionInfo:
    """The .NET exception an ErrorRecord wraps, as far as scripts look at it (`$_.Exception.Message`)."""

    message: str
    type_name: str = "RuntimeException"

    def __str__(self) -> str:
        return self.message


class ParseError(ExshellError):
    """A syntax error: the whole input is rejected and nothing runs."""

    def __init__(self, message: str, error_id: str, span: Span, incomplete: bool = False) -> None:
        super().__init__(message)
        self.message = message
        self.error_id = error_id
        self.span = span
        # True when more input could complete the text (an open brace, quote or pipe): the REPL continues.
        self.incomplete = incomplete

    def to_record(self) -> ErrorRecord:
        return ErrorRecord(
            message=self.message,
            error_id=self.error_id,
            category=Category.ParserError,
            exception_type="ParentContainsErrorRecordException",
            span=self.span,
        )


class PSRuntimeError(ExshellError):
    """Carries an ErrorRecord up the stack. Statement-terminating unless `script_terminating`."""

    def __init__(self, record: ErrorRecord, script_terminating: bool = False) -> None:
        super().__init__(record.message)
        self.record = record
        self.script_terminating = script_terminating


class PipelineStopped(ExshellError):
    """Raised inside upstream commands when a downstream command (Select-Object -First) has enough."""


class ExitRequested(ExshellError):
    """`exit [n]`."""

    def __init__(self, code: int = 0) -> None:
        super().__init__(f"exit {code}")
        self.code = code
