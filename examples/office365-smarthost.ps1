# Relay everything through a provider's submission port with a stored credential (Office 365 style).
# Run: exshell -f examples/office365-smarthost.ps1
$cred = Get-Credential -Message 'The mailbox that may send through smtp.office365.com (SMTP AUTH enabled)'
New-SendConnector -Name 'Office365 Relay' -AddressSpaces * -SmartHosts smtp.office365.com -Port 587 `
    -SmartHostAuthMechanism BasicAuthRequireTLS -AuthenticationCredential $cred `
    -RequireTLS $true -TlsAuthLevel DomainValidation -TlsDomain smtp.office365.com
Get-SendConnector 'Office365 Relay' | Format-List Name, SmartHosts, Port, SmartHostAuthMechanism, AuthenticationCredential, RequireTLS, TlsAuthLevel, TlsDomain
# The password is sealed under state/secrets/; Get-SendConnector and Get-ConfigVersion never show it.
# Messages wait in the queue (Get-Queue | Get-Message | fl LastError) if the host refuses STARTTLS or the logon.
