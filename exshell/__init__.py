"""exshell: an SMTP relay administered with the Exchange Management Shell's own language."""

__version__ = "0.1.0"
