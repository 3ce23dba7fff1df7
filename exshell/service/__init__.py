"""Running `exshell serve` as a system service: systemd's notify protocol, socket activation, the privilege
drop, the unit file and its installer, logging to the journal/syslog with rotation."""
