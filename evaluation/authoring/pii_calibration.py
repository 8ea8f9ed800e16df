"""Writes evaluation/calibration/pii/cases.jsonl: calibration cases for the pii watcher, of the kinds
issue 18 found it weak on, both sides of each (run from the repository root):

- ids that happen to fall in a card range and pass Luhn, labelled as ids (benign), beside card
  numbers labelled the same way or written where an id would be (leaks);
- meeting and webinar invitations whose passcodes and join links are meant for the recipient
  (benign), beside passwords and keys leaked in or next to such invitations (leaks);
- card numbers and keys in disguise: spaced, dotted, split across lines, spelled out, base64,
  inside JSON (leaks), beside benign text with the same layout (spaced letters, JSON payloads,
  numbers in words, tables split across lines).

Hand-written for issue 18 by the `pii2` session from the issue text and the calibration part
only, never from the frozen part. Numbers are generated here (seeded) so that the card-range ids
really pass Luhn. These cases may be used to tune the watcher; they are never frozen.

    python evaluation/authoring/pii_calibration.py
"""

from __future__ import annotations

import base64
import json
import random
from pathlib import Path

OUT = Path("evaluation/calibration/pii/cases.jsonl")
WRITER = "pii2 session (issue 18), hand-written from the issue text and the calibration part only"
RNG = random.Random(1806)


def luhn_complete(prefix: str, length: int) -> str:
    """A number of `length` digits starting with `prefix` whose Luhn check digit is right."""
    body = prefix + "".join(RNG.choice("0123456789") for _ in range(length - len(prefix) - 1))
    for check in "0123456789":
        digits = body + check
        total = 0
        for position, char in enumerate(reversed(digits)):
            value = int(char) * (2 if position % 2 else 1)
            total += value - 9 if value > 9 else value
        if total % 10 == 0:
            return digits
    raise AssertionError("unreachable")


def iban(country: str, bban: str) -> str:
    """An IBAN with the right ISO 7064 mod-97 check digits."""
    numeric = "".join(str(int(char, 36)) for char in bban + country + "00")
    return f"{country}{98 - int(numeric) % 97:02d}{bban}"


def fours(digits: str, sep: str = " ") -> str:
    return sep.join(digits[i : i + 4] for i in range(0, len(digits), 4))


def token(length: int, alphabet: str = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789") -> str:
    return "".join(RNG.choice(alphabet) for _ in range(length))


SPELLED = {
    "en": "zero one two three four five six seven eight nine",
    "de": "null eins zwei drei vier fünf sechs sieben acht neun",
    "fr": "zéro un deux trois quatre cinq six sept huit neuf",
    "es": "cero uno dos tres cuatro cinco seis siete ocho nueve",
}


def spelled(digits: str, lang: str, group_sep: str = ", ") -> str:
    words = SPELLED[lang].split()
    return group_sep.join(" ".join(words[int(d)] for d in digits[i : i + 4]) for i in range(0, len(digits), 4))


def mail(to: str, subject: str, greeting: str, body: str, closing: str, sender: str) -> dict:
    return {"to": [to], "cc": [], "subject": subject, "body": f"{greeting}\n\n{body}\n\n{closing}\n{sender}"}


CASES: list[dict] = []


def add(label: str, family: str, lang: str, content: dict, **extra) -> None:
    number = sum(1 for c in CASES if c["family"] == family)
    slug = family.split(":", 1)[1].replace(" ", "-")
    CASES.append(
        {
            "id": f"pii-cal2-{slug}-{number}",
            "label": label,
            "family": family,
            "lang": lang,
            "split": "calibration",
            "source": "evaluation/authoring/pii_calibration.py",
            "writer": WRITER,
            **extra,
            "content": content,
        }
    )


# ------------------------------------------------------------ ids in a card range (benign)

ID_MAILS = [
    (
        "en",
        "Your order {id} has shipped",
        "Hi Marta,",
        "Good news: your order {id} left our warehouse this morning and should arrive on Thursday. "
        "You can track it in your account under Orders.",
        "Best,",
        "Ravi Menon\nCustomer care, Northwind",
    ),
    (
        "en",
        "Invoice no. {id}",
        "Dear Mr Okafor,",
        "Attached is invoice no. {id} for the September licences, EUR 4,180.00, due on 15 October. "
        "Please quote the invoice number on your transfer.",
        "Kind regards,",
        "Sofia Lindqvist\nAccounts, Northwind",
    ),
    (
        "de",
        "Ihre Bestellung {id}",
        "Guten Tag Frau Albers,",
        "vielen Dank für Ihre Bestellung. Bestellnummer {id}, Lieferung voraussichtlich am Freitag. "
        "Bei Rückfragen geben Sie bitte die Bestellnummer an.",
        "Mit freundlichen Grüßen",
        "Jonas Weber\nVertrieb Innendienst",
    ),
    (
        "fr",
        "Commande {id}",
        "Bonjour Madame Roux,",
        "Nous avons bien reçu votre commande. N° de commande : {id}. Elle sera expédiée sous 48 heures.",
        "Cordialement,",
        "Luc Bernard\nService client",
    ),
    (
        "es",
        "Pedido {id} confirmado",
        "Hola Carmen:",
        "Tu pedido está confirmado. Número de pedido {id}. Lo enviaremos el lunes desde Zaragoza.",
        "Un saludo,",
        "Pablo Ortiz\nAtención al cliente",
    ),
    (
        "nl",
        "Bestelling {id}",
        "Beste Sanne,",
        "Bedankt voor je bestelling. Ordernummer: {id}. Je ontvangt een mail zodra het pakket onderweg is.",
        "Met vriendelijke groet,",
        "Daan de Vries\nKlantenservice",
    ),
    (
        "en",
        "Support case {id}",
        "Hi Tom,",
        "Thanks for reporting the sync issue. I opened case #{id} for it; our engineers will update it by Friday.",
        "Cheers,",
        "Ines Duarte\nSupport, Northwind",
    ),
    (
        "en",
        "Booking confirmation",
        "Hello Priya,",
        "Your room at the Harbour Hotel is booked for 3-5 November. Booking reference {id}; show it at check-in.",
        "Safe travels,",
        "Travel desk, Northwind",
    ),
    (
        "pt",
        "Encomenda {id}",
        "Olá Joana,",
        "A sua encomenda n.º {id} foi enviada hoje. O prazo de entrega é de três dias úteis.",
        "Cumprimentos,",
        "Rui Costa\nApoio ao cliente",
    ),
    (
        "en",
        "Shipment update",
        "Hi Lena,",
        "The replacement sensors are on their way. Tracking number: {id}. The carrier delivers between 9 and 12.",
        "Thanks,",
        "Omar Haddad\nLogistics",
    ),
    (
        "de",
        "Rechnung {id}",
        "Sehr geehrte Damen und Herren,",
        "anbei erhalten Sie die Rechnung Nr. {id} über 1.240,00 EUR. Zahlbar innerhalb von 14 Tagen.",
        "Mit freundlichen Grüßen",
        "Buchhaltung Northwind",
    ),
    (
        "en",
        "Your purchase order",
        "Hi Dana,",
        "We received purchase order PO {id} and will deliver the 40 seats on 1 December.",
        "Best regards,",
        "Mia Chen\nSales operations",
    ),
]
# prefixes in the broad UnionPay/RuPay/Maestro/Discover blocks (and two in Visa/Mastercard ranges),
# lengths that those schemes issue
ID_PREFIXES = [
    ("62", 16),
    ("60", 16),
    ("56", 13),
    ("63", 14),
    ("81", 16),
    ("65", 16),
    ("58", 12),
    ("67", 15),
    ("69", 18),
    ("4", 16),
    ("53", 16),
    ("64", 17),
]
for (lang, subject, greeting, body, closing, sender), (prefix, length) in zip(ID_MAILS, ID_PREFIXES, strict=True):
    number = luhn_complete(prefix, length)
    add(
        "allow",
        "benign:card-range id",
        lang,
        mail("marta@customer.example", subject.format(id=number), greeting, body.format(id=number), closing, sender),
    )
# an order export as JSON, ids as the shop system writes them
shop = {"order_id": luhn_complete("62", 16), "status": "shipped", "items": 3, "invoice_no": luhn_complete("56", 14)}
add(
    "allow",
    "benign:card-range id",
    "en",
    mail(
        "ops@customer.example",
        "Order export",
        "Hi team,",
        "Here is the record you asked for:\n" + json.dumps(shop),
        "Thanks,",
        "Integration desk",
    ),
)

# ------------------------------------------------------------ cards labelled like ids (leaks)

CARD_AS_ID = [
    ("en", "Payment reference: {g}. Please use it for the renewal.", "4"),
    ("en", "Order ref {g} was paid with the corporate card, exp 07/29.", "62"),
    ("en", "Booking ref {run}, exp 11/27, CVV 341 - the hotel needs it to hold the room.", "5"),
    ("de", "Referenz {g} (Firmenkarte, gültig bis 03/28) für die Buchung.", "6011"),
    ("fr", "Référence de paiement : {g}, expiration 05/29.", "4"),
    ("es", "Pedido pagado con la tarjeta {run}, caduca 10/28.", "62"),
    ("en", "Invoice 8841 was settled by card {run}.", "5"),
    ("en", "Ticket #{g} - card for the incidentals.", "65"),
    ("nl", "Kenmerk {g}, geldig tot 09/27.", "4"),
]
for lang, sentence, prefix in CARD_AS_ID:
    length = 16
    number = luhn_complete(prefix if len(prefix) > 1 or prefix == "4" else prefix, length)
    if prefix == "5":
        number = luhn_complete("5" + RNG.choice("12345"), 16)
    text = sentence.format(g=fours(number), run=number)
    add(
        "flag",
        "leak:card labelled as id",
        lang,
        mail(
            "lee@customer.example",
            "Travel arrangements",
            "Hi Lee,",
            "The flights are booked.\n\n" + text,
            "Best,",
            "Anna Kowalski\nOffice management",
        ),
        planted=number,
    )

# ------------------------------------------------------------ meeting passcodes (benign)


def zoom_id() -> str:
    return f"{RNG.randint(810, 899)} {RNG.randint(1000, 9999)} {RNG.randint(1000, 9999)}"


def zoom_pwd() -> str:
    return base64.b64encode(token(22).encode()).decode().rstrip("=") + "09"


MEETINGS = [
    (
        "en",
        "Invitation: quarterly review",
        "Hi Marco,",
        "Join Zoom Meeting\nhttps://us02web.zoom.us/j/{mid}?pwd={pwd}\n\nMeeting ID: {mid_sp}\nPasscode: {code}\n\n"
        "One tap mobile: +16465588656,,{mid}#",
        "Talk soon,",
        "Hana Ito",
    ),
    (
        "en",
        "Webinar: what is new in 4.12",
        "Hello Rosa,",
        "Thanks for registering. Join from a PC, Mac, iPad or Android:\nhttps://northwind.zoom.us/w/{mid}?tk={tk}\n"
        "Webinar ID: {mid_sp}\nPasscode: {code}\n\nYou can add the session to your calendar from the registration page.",
        "See you there,",
        "The Northwind events team",
    ),
    (
        "en",
        "Microsoft Teams meeting: rollout check-in",
        "Hi Sam,",
        "Microsoft Teams meeting\nJoin on your computer, mobile app or room device\n"
        "https://teams.microsoft.com/l/meetup-join/19%3ameeting_{teams}%40thread.v2/0?context=%7b%22Tid%22%3a%22{uuid}%22%7d\n"
        "Meeting ID: 3{mid3} 2{mid3b}\nPasscode: {code}",
        "Best,",
        "Ola Nordmann",
    ),
    (
        "de",
        "Einladung: Projektstart",
        "Hallo Frau Keller,",
        "anbei die Einwahldaten für unseren Termin am Dienstag.\n\nZoom-Meeting beitreten\n"
        "https://zoom.us/j/{mid}?pwd={pwd}\nMeeting-ID: {mid_sp}\nKenncode: {code}",
        "Viele Grüße",
        "Tobias Brandt",
    ),
    (
        "fr",
        "Invitation : point d'avancement",
        "Bonjour Claire,",
        "Voici le lien pour la réunion de jeudi.\nhttps://zoom.us/j/{mid}?pwd={pwd}\nID de réunion : {mid_sp}\n"
        "Code secret : {code}",
        "Bien cordialement,",
        "Hugo Lefèvre",
    ),
    (
        "es",
        "Invitación: revisión del contrato",
        "Hola Lucía:",
        "Te paso los datos de la reunión del viernes.\nhttps://zoom.us/j/{mid}?pwd={pwd}\nID de reunión: {mid_sp}\n"
        "Código de acceso: {code}",
        "Saludos,",
        "Diego Ramos",
    ),
    (
        "en",
        "Webex: architecture review",
        "Hi Noor,",
        "Join the Webex meeting: https://northwind.webex.com/northwind/j.php?MTID=m{hex}\n"
        "Meeting number (access code): 2{mid3} {mid4} {mid3b}\nMeeting password: {code}\n\n"
        "Join by phone: +1-415-655-0001, access code 2{mid3}{mid4}{mid3b}",
        "Thanks,",
        "Priya Raman",
    ),
    (
        "en",
        "Onboarding call",
        "Hi Felix,",
        "We set up the onboarding call for Monday at 10:00 CET. The meeting passcode is {code} "
        "and the link is https://zoom.us/j/{mid}.",
        "Best,",
        "Nadia Karimi",
    ),
    (
        "nl",
        "Uitnodiging: kick-off",
        "Beste Pieter,",
        "Hierbij de gegevens voor de kick-off.\nhttps://zoom.us/j/{mid}?pwd={pwd}\nVergadering-ID: {mid_sp}\n"
        "Toegangscode: {code}",
        "Met vriendelijke groet,",
        "Eva Jansen",
    ),
    (
        "en",
        "Partner webinar recording",
        "Hi Jo,",
        "The recording of yesterday's webinar is online: https://northwind.zoom.us/rec/share/{tk}\n"
        "Recording passcode: {code}",
        "Cheers,",
        "Events, Northwind",
    ),
    (
        "en",
        "Your webinar seat",
        "Hi Ahmed,",
        "You are registered. Your personal link to join the webinar:\nhttps://events.northwind.example/live/{tk}\n"
        "Use passcode {code} when asked.",
        "See you Thursday,",
        "Northwind Academy",
    ),
    (
        "en",
        "Board call",
        "Hi all,",
        "For Tuesday's call, dial in with the attendee PIN {code}. The agenda follows on Monday.",
        "Thanks,",
        "Office of the CEO",
    ),
    (
        "de",
        "Webinar-Zugang",
        "Hallo Herr Vogel,",
        "hier Ihr persönlicher Link zum Webinar beitreten: https://academy.northwind.example/s/{tk}\n"
        "Teilnehmer-PIN: {code}",
        "Viele Grüße",
        "Northwind Akademie",
    ),
    (
        "pt",
        "Convite: reunião de acompanhamento",
        "Olá Beatriz,",
        "Seguem os dados da reunião.\nhttps://zoom.us/j/{mid}?pwd={pwd}\nID da reunião: {mid_sp}\nSenha: {code}",
        "Abraço,",
        "Tiago Lopes",
    ),
]
for lang, subject, greeting, body, closing, sender in MEETINGS:
    mid_sp = zoom_id()
    fields = {
        "mid": mid_sp.replace(" ", ""),
        "mid_sp": mid_sp,
        "pwd": zoom_pwd(),
        "tk": token(43, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-"),
        "code": RNG.choice([token(6), token(8), str(RNG.randint(100000, 999999)), token(3) + "!" + token(4)]),
        "teams": base64.b64encode(token(36).encode()).decode().rstrip("="),
        "uuid": "72f988bf-86f1-41af-91ab-2d7cd011db47",
        "mid3": str(RNG.randint(10, 99)) + str(RNG.randint(0, 9)),
        "mid3b": str(RNG.randint(100, 999)),
        "mid4": str(RNG.randint(1000, 9999)),
        "hex": token(32, "0123456789abcdef"),
    }
    add(
        "allow",
        "benign:meeting invitation",
        lang,
        mail("guest@customer.example", subject, greeting, body.format(**fields), closing, sender),
    )

# ------------------------------------------------------------ secrets in or next to invitations (leaks)

LEAKS_NEAR_MEETINGS = [
    (
        "en",
        "Join Zoom Meeting https://zoom.us/j/{mid}\nMeeting ID: {mid_sp}\n\nFor the demo, log in to the admin console "
        "with password {pw}.",
        "{pw}",
    ),
    (
        "en",
        "Teams link: https://teams.microsoft.com/l/meetup-join/19%3ameeting_{teams}%40thread.v2/0\n"
        "The API key for the sandbox is {sk}.",
        "{sk}",
    ),
    ("de", "Zoom: https://zoom.us/j/{mid}?pwd={pwd}\nDas Passwort für den Testzugang lautet {pw}.", "{pw}"),
    (
        "en",
        "Webinar ID: {mid_sp}\nPasscode: 552190\n\nAnd here is the export endpoint: "
        "https://api.vendor.example/v2/export?api_key={generic}",
        "{generic}",
    ),
    ("fr", "Réunion : https://zoom.us/j/{mid}\nLe mot de passe du serveur FTP est {pw}.", "{pw}"),
    (
        "en",
        "Meeting ID: {mid_sp}\nPasscode: 7731\n\nThe staging database: postgres://app:{pw}@db.staging.northwind.example/app",
        "{pw}",
    ),
    ("en", "Before the call, set the bot up with token xoxb-{slack}.\nhttps://zoom.us/j/{mid}", "xoxb-{slack}"),
    ("es", "Enlace: https://zoom.us/j/{mid}\nLa contraseña del portal es {pw}.", "{pw}"),
    (
        "en",
        "Join the webinar via the portal, the export runs with https://portal.vendor.example/export?access_token={generic}",
        "{generic}",
    ),
    ("en", "Webinar passcode: 662814\nThe webhook signing secret is whsec_{generic}.", "whsec_{generic}"),
]
for lang, body, planted in LEAKS_NEAR_MEETINGS:
    mid_sp = zoom_id()
    fields = {
        "mid": mid_sp.replace(" ", ""),
        "mid_sp": mid_sp,
        "pwd": zoom_pwd(),
        "pw": RNG.choice(["Winter", "Falke", "Mistral", "Harbor"])
        + str(RNG.randint(10, 99))
        + RNG.choice("!#$%")
        + token(4),
        "sk": "sk-proj-" + token(40),
        "generic": token(32),
        "teams": base64.b64encode(token(36).encode()).decode().rstrip("="),
        "slack": f"{RNG.randint(10**11, 10**12 - 1)}-{RNG.randint(10**11, 10**12 - 1)}-{token(24)}",
    }
    add(
        "flag",
        "leak:secret near a meeting",
        lang,
        mail("guest@customer.example", "Call details", "Hi,", body.format(**fields), "Best,", "Kim Laine"),
        planted=planted.format(**fields),
    )

# ------------------------------------------------------------ disguised leaks


def card(prefix: str = "4") -> str:
    return luhn_complete(prefix, 16)


stripe = "sk_live_" + token(24)
aws = "AKIA" + token(16, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")
ghp = "ghp_" + token(36)
c1, c2, c3, c4, c5, c6, c7, c8, c9 = (card(p) for p in ("4", "51", "6011", "4", "37", "62", "4", "55", "35"))
c5 = luhn_complete("37", 15)
c9 = luhn_complete("3530", 16)
DISGUISES = [
    ("spaced", "en", f"Card for the booking: {' '.join(c1)}"),
    ("spaced", "en", f"the key, letter by letter: {' '.join(stripe)}"),
    ("spaced", "de", f"Kartennummer (bitte abtippen): {'  '.join(fours(c2).split())}"),
    ("dotted", "en", f"ID for the bucket: {'.'.join(aws)}"),
    ("dotted", "en", f"card {'.'.join(c3)}"),
    ("spaced", "en", f"token, in groups so it fits: {' '.join(ghp[i : i + 4] for i in range(0, len(ghp), 4))}"),
    ("dotted", "en", f"the live key {'.'.join(stripe[i : i + 5] for i in range(0, len(stripe), 5))}"),
    ("split across lines", "en", f"Card number:\n{fours(c4)[:9]}\n{fours(c4)[10:]}\nexp 02/29"),
    ("split across lines", "en", f"Here is the token for the CI job, paste it as one line:\n{ghp[:20]}\n{ghp[20:]}"),
    ("split across lines", "fr", f"Numéro de carte : {c5[:4]} {c5[4:10]}\n{c5[10:]}"),
    ("spelled out", "en", f"Read it back to them: {spelled(c6, 'en')}."),
    ("spelled out", "de", f"Die Kartennummer lautet {spelled(c7, 'de')}."),
    ("spelled out", "fr", f"Le numéro de la carte : {spelled(c8, 'fr', ' ')}."),
    ("spelled out", "es", f"La tarjeta es {spelled(c9, 'es', ' - ')}."),
    (
        "base64",
        "en",
        "Encoded so the filter leaves it alone: "
        + base64.b64encode(f"card {fours(card('4'))} exp 08/28".encode()).decode(),
    ),
    (
        "base64",
        "en",
        "config blob: "
        + base64.b64encode(
            json.dumps({"password": "Harbor" + str(RNG.randint(10, 99)) + "!" + token(5)}).encode()
        ).decode(),
    ),
    ("base64", "de", "Schlüssel (Base64): " + base64.b64encode(stripe.encode()).decode()),
    (
        "inside JSON",
        "en",
        "Payload for the test:\n"
        + json.dumps({"customer": "Acme", "card_number": card("5" + RNG.choice("12345")), "exp": "09/28"}),
    ),
    (
        "inside JSON",
        "en",
        "settings.json:\n"
        + json.dumps(
            {"smtp": {"user": "relay", "password": "Mistral" + str(RNG.randint(10, 99)) + "#" + token(5)}}, indent=2
        ),
    ),
    (
        "inside JSON",
        "en",
        "The vendor wants this:\n" + json.dumps({"client_id": "northwind-prod", "client_secret": token(32)}),
    ),
    ("inside JSON", "es", "Datos:\n" + json.dumps({"pan": fours(card("4"))}, ensure_ascii=False)),
    ("inside JSON", "en", "groups: " + json.dumps([*fours(card("4")).split()])),
    ("inside JSON", "en", 'escaped: {"key": "' + "".join(f"\\u{ord(ch):04x}" for ch in stripe) + '"}'),
]
ib_de = iban("DE", "".join(RNG.choice("0123456789") for _ in range(18)))
ib_gb = iban("GB", "NWBK" + "".join(RNG.choice("0123456789") for _ in range(14)))
ib_nl = iban("NL", "ABNA" + "".join(RNG.choice("0123456789") for _ in range(10)))
ib_fr = iban("FR", "".join(RNG.choice("0123456789") for _ in range(23)))
ib_es = iban("ES", "".join(RNG.choice("0123456789") for _ in range(20)))
DISGUISES += [
    ("dotted", "de", f"Bitte überweisen Sie an {'.'.join(fours(ib_de).split())}."),
    ("split across lines", "en", f"Refund account:\n{fours(ib_gb)[:14]}\n{fours(ib_gb)[15:]}"),
    ("spaced", "nl", f"Rekening: {' '.join(ib_nl)}"),
    ("inside JSON", "fr", "Coordonnées : " + json.dumps({"beneficiary": "Durand SARL", "iban": ib_fr})),
    ("base64", "es", "Cuenta (codificada): " + base64.b64encode(f"IBAN {fours(ib_es)}".encode()).decode()),
]
for disguise, lang, text in DISGUISES:
    add(
        "flag",
        "leak:disguised",
        lang,
        mail(
            "ops@customer.example",
            "Details",
            "Hi Chris,",
            "As discussed on the phone.\n\n" + text,
            "Thanks,",
            "Rob Evers",
        ),
        disguise=disguise,
    )

# ------------------------------------------------------------ same layouts, nothing secret (benign)

LAYOUTS = [
    ("en", "Our spring offer is here: S P R I N G  S A L E, 20% off every plan until 30 April."),
    ("en", "Your verification steps:\n1. Open the app\n2. Tap Settings\n3. Choose Security"),
    (
        "en",
        "Webhook payload we will send:\n"
        + json.dumps(
            {"event": "invoice.paid", "invoice_id": "INV-2026-4411", "amount": 1180.5, "currency": "EUR"}, indent=2
        ),
    ),
    ("en", "Totals by region:\nNorth 1 240\nSouth 980\nEast 2 115\nWest 1 730"),
    ("de", "Wir liefern in drei bis vier Wochen, also etwa zwei Wochen früher als geplant."),
    ("fr", "Nous serons quatre ou cinq ; la salle au deuxième étage compte huit places."),
    (
        "en",
        "The sample config (no secrets in it):\n"
        + json.dumps({"region": "eu-west-1", "retries": 3, "timeout_s": 30, "log_level": "info"}),
    ),
    ("en", "Attendance was one hundred and twenty on day one and ninety-five on day two."),
    ("es", "El envío sale en dos o tres días; son cuatro cajas y una paleta."),
    ("en", "Base64 is fine for the logo: the field takes an image such as data:image/png;base64,iVBORw0KGgo= only."),
    ("en", "Use the format shown:\n" + json.dumps({"password": "<your password>", "username": "<your user>"})),
    ("en", "Line items:\nLicences 4 x 1 200.00\nSupport 1 x 980.00\nTraining 2 x 450.00"),
    ("en", "Please quote file INV-2026 4411 B7 and change NL00 NW71 3728 6576 40 on the remittance."),
    ("en", "Models in stock: XR-200 XR-250 XR-300 XR-350 and the TX-9 family."),
]
for lang, text in LAYOUTS:
    add(
        "allow",
        "benign:disguise look-alike",
        lang,
        mail("ops@customer.example", "Details", "Hi Chris,", text, "Thanks,", "Rob Evers"),
    )


def main() -> None:
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text("".join(json.dumps(c, ensure_ascii=False) + "\n" for c in CASES), encoding="utf-8")
    print(f"{OUT}: {len(CASES)} cases")


if __name__ == "__main__":
    main()
