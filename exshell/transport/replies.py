"""The SMTP reply catalogue: every reply the engine sends, as a named constant.

Texts follow Exchange 2007-2019 transcripts (semantics.md §g): the telnet test article, the NDR table and
protocol logs quoted there. Tests compare against these constants, never against bare strings.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Reply:
    """One SMTP reply: the 3-digit code and the text after it (the enhanced status code included)."""

    code: int
    text: str

    def __str__(self) -> str:
        return f"{self.code} {self.text}"

    @property
    def is_success(self) -> bool:
        return self.code < 400

    @property
    def is_transient(self) -> bool:
        return 400 <= self.code < 500

    @property
    def is_permanent(self) -> bool:
        return self.code >= 500

    @property
    def enhanced(self) -> str:
        """The RFC 3463 enhanced status code (`5.7.1`), or '' when the text has none."""
        head = self.text.split(" ", 1)[0]
        return head if head[:1].isdigit() and head.count(".") == 2 else ""

    def format(self, **values: object) -> "Reply":
        return Reply(self.code, self.text.format(**values))


# ---- session
SERVICE_NOT_AVAILABLE = Reply(421, "4.3.2 Service not available, closing transmission channel")
TOO_MANY_CONNECTIONS = Reply(
    421, "4.3.2 The maximum number of concurrent connections has exceeded a limit, closing transmission channel"
)
CONNECTION_TIMED_OUT = Reply(421, "4.4.1 Connection timed out")  # ConnectionTimeout reached (NDR table 4.4.1)
INACTIVITY_TIMEOUT = Reply(451, "4.7.0 Timeout waiting for client input")
SHUTTING_DOWN = Reply(421, "4.3.2 Service not available, closing transmission channel")
QUIT = Reply(221, "2.0.0 Service closing transmission channel")
NOOP_OK = Reply(250, "2.0.0 OK")
RSET_OK = Reply(250, "2.0.0 Resetting")
SEND_HELLO_FIRST = Reply(503, "5.5.2 Send hello first")
BAD_SEQUENCE_MAIL = Reply(503, "5.5.2 Sender already specified")
BAD_SEQUENCE_RCPT = Reply(503, "5.5.1 Need mail command")
BAD_SEQUENCE_DATA = Reply(503, "5.5.1 Need rcpt command")
UNRECOGNIZED_COMMAND = Reply(500, "5.3.3 Unrecognized command")
SYNTAX_ERROR = Reply(501, "5.5.4 Invalid arguments")
INVALID_DOMAIN = Reply(501, "5.5.4 Invalid domain name")
NOT_IMPLEMENTED = Reply(502, "5.3.3 Command not implemented")  # EXPN
LINE_TOO_LONG = Reply(500, "5.5.6 Line too long")  # RFC 5321 §4.5.3.1.6 text line limit
UNKNOWN_PARAMETER = Reply(555, "5.5.4 Unsupported option")
BARE_CR = Reply(501, "5.5.2 Bare CR is not allowed in a command")  # smuggling guard (issue 10); counts as an error
TOO_MANY_ERRORS = Reply(421, "4.7.0 Too many errors on this connection, closing transmission channel")
EHLO_REQUIRES_DOMAIN = Reply(501, "5.0.0 EHLO requires domain address")  # RequireEHLODomain; then close
RATE_LIMIT_EXCEEDED = Reply(421, "4.4.2 Message submission rate for this client has exceeded the configured limit")
INSUFFICIENT_RESOURCES = Reply(452, "4.3.1 Insufficient system resources")  # back pressure, at MAIL

# ---- MAIL FROM
SENDER_OK = Reply(250, "2.1.0 Sender OK")
INVALID_SENDER = Reply(550, "5.1.7 Invalid address")
NOT_AUTHENTICATED = Reply(530, "5.7.1 Client was not authenticated")
SIZE_EXCEEDED = Reply(552, "5.3.4 Message size exceeds fixed maximum message size")
CANNOT_SEND_AS = Reply(550, "5.7.1 Client does not have permissions to send as this sender")
ANONYMOUS_CANNOT_SEND_AS = Reply(550, "5.7.1 Anonymous client does not have permissions to send as this sender")

# ---- RCPT TO
RECIPIENT_OK = Reply(250, "2.1.5 Recipient OK")
USER_UNKNOWN = Reply(550, "5.1.1 User unknown")  # recipient validation (TELNET; semantics.md §f)
INVALID_RECIPIENT = Reply(501, "5.1.3 Invalid address")
UNABLE_TO_RELAY = Reply(550, "5.7.1 Unable to relay")  # 2007/2010 and 2013 SP1 (QA-179653)
UNABLE_TO_RELAY_2016 = Reply(550, "5.7.54 SMTP; Unable to relay recipient in non-accepted domain")
TOO_MANY_RECIPIENTS = Reply(452, "4.5.3 Too many recipients")

# ---- DATA
START_MAIL_INPUT = Reply(354, "Start mail input; end with <CRLF>.<CRLF>")
QUEUED = Reply(250, "2.6.0 <{message_id}> [InternalId={internal_id}, Hostname={hostname}] Queued mail for delivery")
HEADER_TOO_LARGE = Reply(552, "5.3.4 Header size exceeds fixed maximum size")  # then the connection closes
HOP_COUNT_EXCEEDED = Reply(554, "5.4.6 Hop count exceeded - possible mail loop")
SPOOL_FAILED = Reply(451, "4.3.0 Temporary failure, message not queued")  # disk trouble: client retries
LOCAL_ERROR = Reply(451, "4.7.0 Temporary server error. Please try again later")

# ---- STARTTLS and AUTH (tls-auth.md §1.3; texts marked there [unverified] are Exchange-style choices)
STARTTLS_READY = Reply(220, "2.0.0 SMTP server ready")
MUST_ISSUE_STARTTLS = Reply(451, "5.7.3 Must issue a STARTTLS command first")  # RequireTLS, 2013+ wording
TLS_ALREADY_ACTIVE = Reply(503, "5.5.2 Bad sequence of commands: TLS is already active")
AUTH_OK = Reply(235, "2.7.0 Authentication successful")
AUTH_FAILED = Reply(535, "5.7.3 Authentication unsuccessful")
AUTH_UNRECOGNIZED = Reply(504, "5.7.4 Unrecognized authentication type")
AUTH_ALREADY = Reply(503, "5.5.2 Bad sequence of commands: already authenticated")
AUTH_IN_TRANSACTION = Reply(503, "5.5.2 Bad sequence of commands: AUTH is not allowed during a mail transaction")
AUTH_CANCELLED = Reply(501, "5.7.0 Authentication cancelled")  # RFC 4954 §4: the client sent '*'
AUTH_BAD_BASE64 = Reply(501, "5.5.2 Cannot decode response")  # RFC 4954 §4: not base64
AUTH_TEMPORARY = Reply(454, "4.7.0 Temporary authentication failure")
TOO_MANY_ERRORS = Reply(421, "4.7.0 Too many errors on this connection, closing transmission channel")
