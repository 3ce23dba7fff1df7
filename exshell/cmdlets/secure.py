"""SecureString, ConvertTo-SecureString and Read-Host: how scripts hand a password to New-Mailbox without
the shell ever printing or storing it in clear."""

from __future__ import annotations

from typing import Any

from exshell.cmdlets.base import Cmdlet, Example, Parameter, T


class SecureString:
    """A password held in memory only; it displays as its .NET type name, never as its text."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    @property
    def Length(self) -> int:  # noqa: N802 - the .NET property name scripts use
        return len(self._value)

    def __str__(self) -> str:
        return "System.Security.SecureString"

    def __repr__(self) -> str:
        return "SecureString(****)"


def _secure(value: Any) -> SecureString:
    if isinstance(value, SecureString):
        return value
    raise ValueError(
        f'Cannot convert the "{value}" value of type "System.String" to type "System.Security.SecureString". '
        "Use (Read-Host -AsSecureString) or (ConvertTo-SecureString '...' -AsPlainText -Force)."
    )


SECURE_STRING = T.custom("System.Security.SecureString", _secure, display="SecureString")


class ConvertToSecureString(Cmdlet):
    name = "ConvertTo-SecureString"
    synopsis = "Turns plain text into a SecureString (with -AsPlainText -Force)."
    error_source = "Microsoft.PowerShell.Commands.ConvertToSecureStringCommand"
    parameters = (
        Parameter("String", T.STRING, position=0, mandatory=True, pipeline=True, help="The text."),
        Parameter("AsPlainText", T.SWITCH, help="The input is plain text."),
        Parameter("Force", T.SWITCH, help="Confirms you know plain text in a script is unsafe."),
    )
    examples = (Example("$pw = ConvertTo-SecureString 'P@ssw0rd' -AsPlainText -Force", ""),)

    def process(self) -> None:
        if not (self.params.get("AsPlainText") and self.params.get("Force")):
            self.write_error(
                "The system cannot protect plain text input. To suppress this warning and convert the plain text "
                "to a SecureString, reissue the command specifying the Force parameter.",
                "ImportSecureString_InvalidArgument,Microsoft.PowerShell.Commands.ConvertToSecureStringCommand",
                "InvalidArgument",
            )
            return
        self.write_object(SecureString(self.params["String"]))


class ReadHost(Cmdlet):
    name = "Read-Host"
    synopsis = "Reads a line from the console (-AsSecureString hides it)."
    error_source = "Microsoft.PowerShell.Commands.ReadHostCommand"
    parameters = (
        Parameter("Prompt", T.OBJECT, position=0, remaining=True, help="Text shown before the colon."),
        Parameter("AsSecureString", T.SWITCH, help="Hide the input and return a SecureString."),
    )

    def process(self) -> None:
        prompt = self.params.get("Prompt")
        if isinstance(prompt, list):
            prompt = " ".join(str(p) for p in prompt)
        text = f"{prompt}: " if prompt else ""
        host = self.runtime.host
        try:
            if self.params.get("AsSecureString"):
                self.write_object(SecureString(host.read_secret(text)))
            else:
                self.write_object(host.prompt_line(text))
        except EOFError:
            self.throw_terminating(
                "Read-Host needs an interactive console; none is attached.",
                "ReadHostNoConsole,Microsoft.PowerShell.Commands.ReadHostCommand",
                "ResourceUnavailable",
            )
