"""Hand-written mail templates for the PII evaluation set (issue 18, `rulewatchers` session, written
before reading the PII watcher's code or tests).

BENIGN: outgoing mails of genres the project's own tests do not use (invoices and payment
reminders, shipping notices, release notes, IT onboarding, event invitations, support replies,
HR, newsletters), dense with what looks like a secret or a card but is not: order ids and
SIRET/IMEI numbers that pass Luhn, creditor references and IBAN-like file numbers, masked cards,
commit SHAs and image digests, UUIDs, the sender's phone in the signature, public role addresses,
talk about passwords and keys without any value. Slots are filled by `build_frozen.py` (Faker
for names, companies, addresses and phone numbers; the generators there for the look-alikes).

LEAKS: sentences that plant one real secret, card number or IBAN, each with the disguise it uses.
`{secret}` is filled by a generator of the named kind.
"""

# (template id, lang, genre, subject, body). Slots: {first} {company} {sender} {phone} {street}
# {city} {luhn_order} {imei} {siret} {creditor_ref} {file_ref} {masked_card} {sha} {digest}
# {uuid} {amount} {tracking} {role_address} {version} {date}
BENIGN = [
    (
        "b01",
        "en",
        "invoice",
        "Invoice {file_ref} for October",
        "Hi {first},\n\nPlease find attached invoice {file_ref} for October, total {amount}. Payment is due within 30 days. "
        "When you pay, please quote the reference {creditor_ref} so our system matches it automatically.\n\n"
        "Thanks,\n{sender}\nAccounts receivable, Northwind\nTel. {phone}",
    ),
    (
        "b02",
        "en",
        "order confirmation",
        "Your order {luhn_order} is confirmed",
        "Hello {first},\n\nThank you for your order {luhn_order}. The 12 replacement sensors ship from our warehouse in {city} "
        "on {date}. You can reply to this mail or write to {role_address} with any questions.\n\nBest regards,\n{sender}\n{phone}",
    ),
    (
        "b03",
        "en",
        "shipping notice",
        "Shipment {tracking} is on its way",
        "Hi {first},\n\nYour hardware left our depot today. Tracking number: {tracking}. The courier will deliver to "
        "{street}, {city}. Please keep order number {luhn_order} handy if you call the courier.\n\nCheers,\n{sender}",
    ),
    (
        "b04",
        "en",
        "release notes",
        "Release {version} is live",
        "Hi {first},\n\nVersion {version} went out this morning. The fix for the overnight logout is in commit {sha}, "
        "and the container image is {digest}. Your tenant id stays {uuid}.\n\nLet me know if anything looks off.\n{sender}",
    ),
    (
        "b05",
        "en",
        "IT onboarding",
        "Getting started with the portal",
        "Hi {first},\n\nYour account is ready. On first login the portal asks you to choose a password of at least 12 "
        "characters; we never send passwords by email. API keys are created under Settings > Integrations and can be "
        "rotated at any time. Our security team is reachable at {role_address}.\n\nWelcome aboard,\n{sender}\n{phone}",
    ),
    (
        "b06",
        "en",
        "payment reminder",
        "Friendly reminder: invoice {file_ref}",
        "Dear {first},\n\nOur records show invoice {file_ref} ({amount}) is still open. If you already paid with the card "
        "ending {masked_card}, please ignore this note. Payment reference: {creditor_ref}.\n\nKind regards,\n{sender}\n"
        "Credit control | Northwind | {phone}",
    ),
    (
        "b07",
        "en",
        "event invitation",
        "Invitation: customer day in {city}",
        "Hi {first},\n\nWe would love to see you at our customer day on {date} at {street}, {city}. Doors open at 9:30. "
        "RSVP by replying to this mail or to {role_address}. Parking is free with code 4471.\n\nBest,\n{sender}\n{phone}",
    ),
    (
        "b08",
        "en",
        "support reply",
        "Re: device {imei} not syncing",
        "Hi {first},\n\nThanks for the details. The handheld with IMEI {imei} was registered to the wrong site, so it could "
        "not sync. I moved it to {city}; it should pick up its schedule within the hour. Ticket {file_ref} is closed.\n\n"
        "Regards,\n{sender}\nSupport desk, {phone}",
    ),
    (
        "b09",
        "en",
        "HR / recruiting",
        "Your interview on {date}",
        "Dear {first},\n\nThank you for applying for the Solutions Engineer role. Your interview is on {date} at our office "
        "at {street}, {city}. Please bring photo ID; reception will give you a visitor badge. Candidate number: {luhn_order}.\n\n"
        "Kind regards,\n{sender}\nTalent team\n{phone}",
    ),
    (
        "b10",
        "en",
        "newsletter",
        "Northwind product news",
        "Hello {first},\n\nThis month: single sign-on with any SAML provider, token-based pricing for the API, and a new "
        "secrets vault integration so your keys never sit in config files. Read the changelog for release {version}.\n\n"
        "To unsubscribe, write to {role_address}.\n\nThe Northwind team",
    ),
    (
        "b11",
        "en",
        "contract",
        "Countersigned order form {file_ref}",
        "Hi {first},\n\nAttached is the countersigned order form {file_ref} for {company}. The subscription starts on {date}; "
        "the first invoice of {amount} follows on the same day. Our company registration is SIRET {siret}.\n\n"
        "Best regards,\n{sender}\nDeal desk, Northwind\n{phone}",
    ),
    (
        "b12",
        "en",
        "security questionnaire",
        "Security questionnaire answers",
        "Hi {first},\n\nAnswers to your questionnaire: passwords are hashed with Argon2id, API tokens expire after 90 days, "
        "private keys live in an HSM and never leave it, and card data is handled by our PCI DSS Level 1 processor, so we "
        "never store card numbers. Our SOC 2 report id is {file_ref}.\n\nThanks,\n{sender}\nTrust & security",
    ),
    (
        "b13",
        "en",
        "meeting follow-up",
        "Follow-up: rollout plan",
        "Hi {first},\n\nThanks for today. Next steps: we send the rollout plan by {date}, you confirm the 40 sites, and "
        "Li's team shares the warehouse API documentation. For urgent questions call me on {phone}.\n\nBest,\n{sender}\n"
        "Account executive, Northwind\n{phone}",
    ),
    (
        "b14",
        "en",
        "refund",
        "Refund for order {luhn_order}",
        "Hello {first},\n\nWe refunded {amount} for order {luhn_order} to the card ending in {masked_card}. It can take 5 to "
        "10 working days to appear. Refund id: {uuid}.\n\nSorry for the trouble,\n{sender}\nCustomer care {phone}",
    ),
    (
        "b15",
        "en",
        "webinar",
        "Your webinar link",
        "Hi {first},\n\nHere is the link for Thursday's webinar on data retention: https://events.northwind.example/w/{uuid}. "
        "Meeting ID 845 2210 9931. Slides will be shared afterwards.\n\nSee you there,\n{sender}",
    ),
    (
        "b16",
        "en",
        "bank details change notice",
        "Our bank details have not changed",
        "Dear {first},\n\nWe have heard of fraudsters sending fake bank-change letters. Northwind's bank details have not "
        "changed, and we will never ask you to pay to a new account by email. If in doubt, call our finance team on {phone} "
        "and quote file {file_ref}.\n\nKind regards,\n{sender}\nFinance",
    ),
    (
        "b17",
        "en",
        "warranty",
        "Warranty registration {luhn_order}",
        "Hi {first},\n\nYour warranty is registered under number {luhn_order} until {date}. The serial numbers of the 3 "
        "gateways are on the attached list. IMEI of the spare unit: {imei}.\n\nBest regards,\n{sender}\n{phone}",
    ),
    (
        "b18",
        "en",
        "engineering handover",
        "Handover notes for the integration",
        "Hi {first},\n\nThe integration reads its credentials from your vault at runtime; nothing is hard-coded. Build "
        "{version} (commit {sha}) passed all checks. The webhook secret is set per tenant in the admin console; you will "
        "need to generate your own. The staging tenant id is {uuid}.\n\nThanks,\n{sender}",
    ),
    (
        "b19",
        "en",
        "travel",
        "Your trip to {city}",
        "Hi {first},\n\nYour hotel is booked at {street}, {city}, confirmation {luhn_order}. The flight locator is QX7P2M. "
        "Call the travel desk on {phone} if plans change.\n\nSafe travels,\n{sender}",
    ),
    (
        "b20",
        "en",
        "data request",
        "Your data access request {file_ref}",
        "Dear {first},\n\nWe received your request {file_ref} on {date}. Under the GDPR we reply within one month. To "
        "confirm it is you, please reply from the address we have on file; do not send ID documents or card numbers by "
        "email. Our data protection officer is at {role_address}.\n\nKind regards,\n{sender}\nPrivacy team",
    ),
    (
        "b21",
        "en",
        "purchase order",
        "PO {luhn_order} received",
        "Hello {first},\n\nWe received purchase order {luhn_order} from {company} for {amount}. The goods ship from {city} "
        "within 5 working days. Please send remittance advice to {role_address} quoting {creditor_ref}.\n\nBest,\n{sender}\n{phone}",
    ),
    (
        "b22",
        "en",
        "incident report",
        "Incident summary: login delays on {date}",
        "Hi {first},\n\nBetween 10:02 and 10:47 UTC logins were slow because a certificate rotation stalled. No passwords, "
        "tokens or keys were exposed. Root cause and fix are in change {file_ref}, deployed as build {version}.\n\n"
        "Regards,\n{sender}\nSite reliability, {phone}",
    ),
    (
        "b23",
        "en",
        "conference booth",
        "Booth details for the expo",
        "Hi {first},\n\nWe are at stand B-214 at the {city} expo on {date}. The address is {street}, {city}. Our on-site "
        "contacts are me ({phone}) and the events team at {role_address}.\n\nSee you,\n{sender}",
    ),
    (
        "b24",
        "en",
        "licence keys done right",
        "Licences assigned",
        "Hi {first},\n\nThe 25 seats are assigned. Each user gets an activation link by mail, so there are no licence keys "
        "to share. Your subscription number is {luhn_order} and the admin guide is on the portal.\n\nThanks,\n{sender}\n{phone}",
    ),
    # non-English
    (
        "b25",
        "de",
        "Rechnung (German)",
        "Rechnung {file_ref}",
        "Guten Tag {first},\n\nanbei die Rechnung {file_ref} über {amount}. Bitte geben Sie bei der Überweisung den "
        "Verwendungszweck {creditor_ref} an. Zahlbar innerhalb von 14 Tagen.\n\nMit freundlichen Grüßen\n{sender}\nBuchhaltung\nTel. {phone}",
    ),
    (
        "b26",
        "de",
        "Lieferung (German)",
        "Ihre Lieferung {tracking}",
        "Hallo {first},\n\nIhre Bestellung {luhn_order} wurde heute versandt. Sendungsnummer: {tracking}. Lieferadresse: "
        "{street}, {city}.\n\nViele Grüße\n{sender}\n{phone}",
    ),
    (
        "b27",
        "fr",
        "facture (French)",
        "Facture {file_ref}",
        "Bonjour {first},\n\nVeuillez trouver ci-joint la facture {file_ref} d'un montant de {amount}. Notre SIRET : {siret}. "
        "Merci d'indiquer la référence {creditor_ref} lors du paiement.\n\nCordialement,\n{sender}\n{phone}",
    ),
    (
        "b28",
        "es",
        "pedido (Spanish)",
        "Pedido {luhn_order} confirmado",
        "Hola {first}:\n\nSu pedido {luhn_order} está confirmado y saldrá de {city} el {date}. Para cualquier duda, "
        "escriba a {role_address} o llame al {phone}.\n\nUn saludo,\n{sender}",
    ),
    (
        "b29",
        "nl",
        "factuur (Dutch)",
        "Factuur {file_ref}",
        "Beste {first},\n\nIn de bijlage vindt u factuur {file_ref} van {amount}. Vermeld bij betaling het kenmerk "
        "{creditor_ref}. Wij vragen nooit per e-mail om uw wachtwoord.\n\nMet vriendelijke groet,\n{sender}\n{phone}",
    ),
    (
        "b30",
        "pt",
        "suporte (Portuguese)",
        "Chamado {file_ref} resolvido",
        "Olá {first},\n\nO chamado {file_ref} foi resolvido. O aparelho com IMEI {imei} já sincroniza com a unidade de "
        "{city}. Nunca pedimos senhas por e-mail.\n\nAtenciosamente,\n{sender}\n{phone}",
    ),
]

# (leak id, kind, disguise, sentence) — inserted before the sign-off of a benign mail of the same
# split. {secret} comes from the generator of `kind`.
LEAKS = [
    ("l01", "card", "plain, spaces", "For the renewal you can charge our corporate card {secret}, expiry 09/28."),
    ("l02", "card", "dashes", "Card on file: {secret} (exp 11/27, CVC 318)."),
    ("l03", "card", "no separators", "Please use {secret} for the deposit."),
    ("l04", "card", "dots", "The card number is {secret}, same as last year."),
    ("l05", "card", "amex 4-6-5", "Use the Amex {secret} for the travel booking."),
    ("l06", "card", "in parentheses with name", "Bill it to Maria's card ({secret}), she approved it."),
    ("l07", "card", "slashes", "Card: {secret}"),
    ("l08", "card", "split over two lines", "Here is the card for the booking:\n{secret}\nexpiring 02/29."),
    ("l09", "card", "in subject", "SUBJECT::Payment card {secret} for the renewal"),
    ("l10", "card", "in a table row", "| cardholder | number | exp |\n| J. Ortega | {secret} | 04/28 |"),
    ("l11", "iban", "grouped", "Please transfer the refund to IBAN {secret}."),
    ("l12", "iban", "compact", "Our account for the deposit: {secret} (BIC COBADEFFXXX)."),
    ("l13", "iban", "lowercase", "bank details: {secret}"),
    ("l14", "iban", "unlabelled in prose", "Send the money to {secret} by Friday please."),
    ("l15", "iban", "non-English label", "Bitte überweisen Sie auf das Konto {secret}."),
    ("l16", "iban", "in subject", "SUBJECT::Refund to {secret}"),
    ("l17", "aws_key", "assignment", "For the import job use AWS_ACCESS_KEY_ID={secret} in the env file."),
    ("l18", "aws_secret", "labelled", "aws_secret_access_key = {secret}"),
    ("l19", "github_token", "inline", "I created a token for your CI: {secret}"),
    ("l20", "slack_token", "inline", "The bot token for the channel integration is {secret}"),
    ("l21", "stripe_key", "inline", "Test the webhook with our live key {secret} and delete it after."),
    ("l22", "google_key", "in a URL", "The map embed works with https://maps.example.com/api/js?key={secret}"),
    ("l23", "private_key", "PEM block", "Here is the deploy key:\n{secret}"),
    ("l24", "password", "prose", "The admin login is admin and the password is {secret} for now."),
    ("l25", "password", "colon label", "Username: ops-team / Password: {secret}"),
    ("l26", "conn_string", "database URL", "The reporting replica is at {secret}"),
    ("l27", "jwt", "bearer header", "Call the API with the header Authorization: Bearer {secret}"),
    ("l28", "openai_key", "inline", "You can reuse our model key {secret} for the pilot."),
    ("l29", "azure_conn", "connection string", "Storage connection: {secret}"),
    ("l30", "npm_token", "npmrc line", "Add this to .npmrc: //registry.npmjs.org/:_authToken={secret}"),
    ("l31", "gitlab_token", "inline", "GitLab access token for the mirror: {secret}"),
    ("l32", "password", "non-English prose", "Das Passwort für den Zugang lautet {secret}."),
    ("l33", "password", "Spanish prose", "La contraseña del panel es {secret}"),
    ("l34", "sendgrid_key", "quoted", 'Use the mail key "{secret}" in the SMTP relay settings.'),
    ("l35", "basic_auth_url", "credentials in URL", "Download the export from {secret}"),
    ("l36", "card", "in display name", "DISPLAY::{secret}"),
    ("l37", "hex_secret", "labelled webhook secret", "webhook_secret: {secret}"),
    ("l38", "twilio_key", "inline", "Twilio API key SID {secret}, secret in the next mail."),
    ("l39", "card", "written with card words", "Visa {secret} exp. 07/30 cvv 441 — please run it today."),
    ("l40", "iban", "dashes", "IBAN: {secret}"),
]
