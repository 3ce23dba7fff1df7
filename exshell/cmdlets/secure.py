"""SecureString, ConvertTo-SecureString and Read-Host: how scripts hand a password to New-Mailbox without
the shell ever printing or storing it in clear."""

from __future__ import annotations

from typing import Any

from exshell.cmdlets.base import Cmdlet, Example, Parameter, T
from exshell.runtime.values import PSObject


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


PSCREDENTIAL_TYPE = "System.Management.Automation.PSCredential"


class PSCredential:
    """A user name and a SecureString password, as Get-Credential returns it. Shows only the user name."""

    __slots__ = ("_user", "_password")
    __ps_properties__ = ("UserName", "Password")
    __ps_type_name__ = PSCREDENTIAL_TYPE

    def __init__(self, user: str, password: SecureString) -> None:
        self._user = user
        self._password = password

    @property
    def UserName(self) -> str:  # noqa: N802 - the .NET property name scripts use
        return self._user

    @property
    def Password(self) -> SecureString:  # noqa: N802
        return self._password

    def __str__(self) -> str:
        return PSCREDENTIAL_TYPE

    def __repr__(self) -> str:
        return f"PSCredential({self._user!r}, ****)"


def _credential(value: Any) -> PSCredential:
    if isinstance(value, PSCredential):
        return value
    raise ValueError(
        f'Cannot convert the "{value}" value of type "{type(value).__name__}" to type "{PSCREDENTIAL_TYPE}". '
        "Use (Get-Credential) or (New-Object System.Management.Automation.PSCredential('user', "
        "(ConvertTo-SecureString '...' -AsPlainText -Force)))."
    )


PSCREDENTIAL = T.custom(PSCREDENTIAL_TYPE, _credential, display="PSCredential")


class GetCredential(Cmdlet):
    name = "Get-Credential"
    synopsis = "Asks for a user name and password (hidden) and returns a PSCredential."
    error_source = "Microsoft.PowerShell.Commands.GetCredentialCommand"
    parameters = (
        Parameter("UserName", T.STRING, position=0, help="The user name (asked for when not given)."),
        Parameter("Message", T.STRING, help="Text shown before the prompts."),
        Parameter("Credential", T.STRING, help="Same as -UserName (Windows PowerShell 5.1's name)."),
    )
    examples = (Example("$cred = Get-Credential copier@contoso.com", "Asks for the password of copier@contoso.com."),)

    def process(self) -> None:
        host = self.runtime.host
        user = self.params.get("UserName") or self.params.get("Credential")
        try:
            if self.params.get("Message"):
                host.write_line(str(self.params["Message"]))
            if not user:
                user = host.prompt_line("User: ")
            password = host.read_secret(f"Password for user {user}: ")
        except EOFError:
            self.throw_terminating(
                "Get-Credential needs an interactive console; none is attached. In a script use "
                "New-Object System.Management.Automation.PSCredential('user', (ConvertTo-SecureString '...' "
                "-AsPlainText -Force)).",
                "CouldNotPromptForCredential,Microsoft.PowerShell.Commands.GetCredentialCommand",
                "ResourceUnavailable",
            )
            return
        if not user:
            self.throw_terminating("Cannot bind argument to parameter 'UserName' because it is an empty string.",
                                   "ParameterArgumentValidationErrorEmptyStringNotAllowed", "InvalidData")
            return
        self.write_object(PSCredential(str(user), SecureString(password)))


class NewObject(Cmdlet):
    name = "New-Object"
    synopsis = "Creates an object: System.Management.Automation.PSCredential(user, securestring) or a PSObject."
    error_source = "Microsoft.PowerShell.Commands.NewObjectCommand"
    parameters = (
        Parameter("TypeName", T.STRING, position=0, mandatory=True, help="PSCredential, PSObject or PSCustomObject."),
        Parameter("ArgumentList", T.OBJECTS, position=1, help="Constructor arguments: ('user', $securePassword)."),
        Parameter("Property", T.HASHTABLE, help="Properties of a new PSObject."),
    )
    examples = (Example("New-Object System.Management.Automation.PSCredential('copier@contoso.com', "
                        "(ConvertTo-SecureString 'P@ss' -AsPlainText -Force))", "A credential for a script."),)

    def process(self) -> None:
        type_name = str(self.params["TypeName"]).strip().strip("[]")
        low = type_name.lower()
        args = list(self.params.get("ArgumentList") or [])
        if low in ("system.management.automation.pscredential", "management.automation.pscredential",
                   "pscredential"):
            if len(args) != 2:
                self.throw_terminating(
                    f'Cannot find an overload for "PSCredential" and the argument count: "{len(args)}".',
                    "ConstructorInvokedThrowException,Microsoft.PowerShell.Commands.NewObjectCommand",
                    "InvalidOperation")
                return
            user, password = args
            if not isinstance(password, SecureString):
                self.throw_terminating(
                    f'Cannot convert argument "password", with value: "{password}", for "PSCredential" to type '
                    '"System.Security.SecureString". Use (ConvertTo-SecureString ... -AsPlainText -Force).',
                    "ConstructorInvokedThrowException,Microsoft.PowerShell.Commands.NewObjectCommand",
                    "InvalidOperation")
                return
            self.write_object(PSCredential(str(user), password))
            return
        if low in ("psobject", "pscustomobject", "system.management.automation.psobject", "object",
                   "system.object"):
            props = self.params.get("Property")
            items = list(props.items()) if props is not None else []
            self.write_object(PSObject(items))
            return
        self.throw_terminating(
            f"Cannot find type [{type_name}]: verify that the assembly containing this type is loaded.",
            "TypeNotFound,Microsoft.PowerShell.Commands.NewObjectCommand", "InvalidType", type_name)
