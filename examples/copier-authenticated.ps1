# A copier that authenticates (SMTP AUTH after STARTTLS on the Client connector, port 587).
# Run: exshell -f examples/copier-authenticated.ps1
$pw = Read-Host 'Password for copier@contoso.com' -AsSecureString
New-AcceptedDomain -Name Contoso -DomainName contoso.com -DomainType Authoritative -ErrorAction SilentlyContinue | Out-Null
New-Mailbox -Name copier -PrimarySmtpAddress copier@contoso.com -Password $pw | Out-Null

# Setup's self-signed certificate already serves STARTTLS; a CA-issued one for the name the copier uses:
#   Import-ExchangeCertificate -FileData ([System.IO.File]::ReadAllBytes('/root/mail.pfx')) -Password (Read-Host -AsSecureString)
#   Enable-ExchangeCertificate -Thumbprint <thumbprint> -Services SMTP -Force
Get-ExchangeCertificate

# What the copier will see: EHLO before and after STARTTLS, AUTH, and whether it may relay.
Test-RelayPolicy 192.168.1.60 -LocalEndPoint 0.0.0.0:587 -Tls -AuthenticatedAs copier `
    -Sender copier@contoso.com -Recipient someone@fabrikam.com |
    Format-List Connector, Ehlo, StartTls, Auth, MailFrom, RcptTo
