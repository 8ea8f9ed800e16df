"""The `email` tool: sends a mail over real SMTP (aiosmtplib). Irreversible: workflows mark it a pivot."""
