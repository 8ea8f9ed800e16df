"""Detectors of personal data and secrets in one string. Pure functions, no I/O.

Each detector returns `Match(kind, start, end, confidence, detail)`; validators (Luhn, IBAN
mod-97, SSN ranges, Shannon entropy) keep look-alikes such as order numbers out.
`detail` says why the match counts, never the matched value, so reasons can be logged.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from lammesh.watchers.addresses import split_address
from lammesh.watchers.reveal import ascii_lookalikes


@dataclass(frozen=True)
class Match:
    kind: str
    start: int
    end: int
    confidence: float
    detail: str


# ---------------------------------------------------------------- validators


def luhn_valid(digits: str) -> bool:
    """The Luhn (mod 10) checksum of a card number, digits only."""
    if not digits.isdigit():
        return False
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char)
        if position % 2 == 1:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10 == 0


# Lengths by country (ISO 13616 registry), for the countries a European or US business meets.
IBAN_LENGTHS: dict[str, int] = {
    "AD": 24,
    "AE": 23,
    "AL": 28,
    "AT": 20,
    "AZ": 28,
    "BA": 20,
    "BE": 16,
    "BG": 22,
    "BH": 22,
    "BR": 29,
    "CH": 21,
    "CR": 22,
    "CY": 28,
    "CZ": 24,
    "DE": 22,
    "DK": 18,
    "DO": 28,
    "EE": 20,
    "EG": 29,
    "ES": 24,
    "FI": 18,
    "FO": 18,
    "FR": 27,
    "GB": 22,
    "GE": 22,
    "GI": 23,
    "GL": 18,
    "GR": 27,
    "GT": 28,
    "HR": 21,
    "HU": 28,
    "IE": 22,
    "IL": 23,
    "IS": 26,
    "IT": 27,
    "JO": 30,
    "KW": 30,
    "KZ": 20,
    "LB": 28,
    "LI": 21,
    "LT": 20,
    "LU": 20,
    "LV": 21,
    "MC": 27,
    "MD": 24,
    "ME": 22,
    "MK": 19,
    "MR": 27,
    "MT": 31,
    "MU": 30,
    "NL": 18,
    "NO": 15,
    "PK": 24,
    "PL": 28,
    "PS": 29,
    "PT": 25,
    "QA": 29,
    "RO": 24,
    "RS": 22,
    "SA": 24,
    "SE": 24,
    "SI": 19,
    "SK": 24,
    "SM": 27,
    "TN": 24,
    "TR": 26,
    "UA": 29,
    "VG": 24,
    "XK": 20,
}


def iban_valid(candidate: str) -> bool:
    """Known country, that country's length, and the ISO 7064 mod-97 check equal to 1."""
    iban = candidate.replace(" ", "").upper()
    if IBAN_LENGTHS.get(iban[:2]) != len(iban) or not iban[2:4].isdigit() or not iban.isalnum():
        return False
    rearranged = iban[4:] + iban[:4]
    return int("".join(str(int(char, 36)) for char in rearranged)) % 97 == 1


def ssn_valid(area: str, group: str, serial: str) -> bool:
    """US SSN ranges: area not 000, 666 or 900-999; group not 00; serial not 0000."""
    return area not in ("000", "666") and not area.startswith("9") and group != "00" and serial != "0000"


def shannon_entropy(text: str) -> float:
    """Bits per character."""
    counts = Counter(text)
    size = len(text)
    return -sum(n / size * math.log2(n / size) for n in counts.values())


# ---------------------------------------------------------------- patterns

# Local part and labels may be Unicode (RFC 6531, IDN); lammesh.watchers.addresses validates them.
_EMAIL = re.compile(r"(?<![\w.+-])[^\W_][\w.%+-]*@(?:[\w-]+\.)+(?:[^\W\d_]{2,24}|xn--[a-z0-9-]{2,59})(?![\w-])")
_PHONE_INTERNATIONAL = re.compile(r"(?<![\w+])\+\d{1,3}(?:[ .-]?\(?\d{1,4}\)?){2,6}(?![\w])")
_PHONE_NANP = re.compile(r"(?<![\w(])(?:\(\d{3}\)[ ]?|\d{3}[-. ])\d{3}[-. ]\d{4}(?![\w])")
_PHONE_LABELLED = re.compile(
    r"\b(?:phone|tel|telephone|mobile|cell|call me at|reach me at)\b[:.]?\s*(\(?\d[\d ().-]{7,18}\d)", re.IGNORECASE
)
# one separator between digits: up to three spaces, a dot, slash or dash, or a line break (a
# number wrapped at the margin or split over two lines to get past a filter)
_CARD_SEPARATOR = r"(?:[ ]{1,3}|[./-]|[ \t]*\r?\n[ \t>]*)"
# (cards also take an underscore between groups: `4111_1111_...` in a form field or a file name)
# and (decision 0661) a slash, bar, star or dash with spaces around it (`4539 1488 / 0343 6467`),
# an expiry glued after it (`...6467exp0428`, `.../0428`)
_CARD_GAP = r"[ ]{0,2}[/|*-][ ]{0,2}"
_CARD_END = r"(?:(?![\w-]|[./]\d)|(?=(?i:exp|cvv|cvc|valid|gültig))|(?=/(?:0[1-9]|1[0-2])/?\d{2}(?!\d)))"
_CARD = re.compile(rf"(?<![\w.+/-])\d(?:(?:{_CARD_SEPARATOR}|_|{_CARD_GAP})?\d){{11,18}}{_CARD_END}")
# Printed in groups of four (spaces, or dashes), electronic form in one run; any case
# ("gb94 cyxn ..."): the country's length and the mod-97 check decide.
# (separators as for cards: spaces, a dash or a dot, or a line break between groups)
_IBAN = re.compile(
    rf"(?<![A-Za-z0-9])[A-Za-z]{{2}}\d{{2}}(?:{_CARD_SEPARATOR}?[A-Za-z0-9]{{4}}){{2,7}}(?:{_CARD_SEPARATOR}?[A-Za-z0-9]{{1,3}})?(?![A-Za-z0-9])"
)
_SSN = re.compile(r"(?<![\w-])(\d{3})-(\d{2})-(\d{4})(?![\w-])")
_SSN_LABELLED = re.compile(
    r"\b(?:SSN|social security(?: number| no\.?)?)\b[:#]?\s*(\d{3})[ -]?(\d{2})[ -]?(\d{4})\b", re.IGNORECASE
)
_UK_NINO = re.compile(
    r"(?<![A-Za-z0-9])(?!BG|GB|NK|KN|TN|NT|ZZ)[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z] ?\d{2} ?\d{2} ?\d{2} ?[A-D](?![A-Za-z0-9])"
)

# (kind, pattern, what it is, literals one of which must occur) for secrets with a known shape;
# the literal test is a cheap pre-filter that spares most texts the regex scan.
_KEY_PATTERNS: tuple[tuple[str, re.Pattern[str], str, tuple[str, ...]], ...] = (
    ("private_key", re.compile(r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY-----"), "private key block", ("-----BEGIN",)),
    ("api_key", re.compile(r"(?<![\w-])sk-(?:[a-z]+-)*[A-Za-z0-9_-]{20,}"), "API key (sk- prefix)", ("sk-",)),
    ("api_key", re.compile(r"(?<!\w)(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{16,}"), "Stripe key", ("k_live_", "k_test_")),
    ("api_key", re.compile(r"(?<!\w)gh[pousr]_[A-Za-z0-9]{36,}"), "GitHub token", ("gh",)),
    ("api_key", re.compile(r"(?<!\w)github_pat_[A-Za-z0-9_]{22,}"), "GitHub token", ("github_pat_",)),
    (
        "api_key",
        re.compile(r"(?<![A-Z0-9])(?:AKIA|ASIA)[A-Z0-9]{16}(?![A-Z0-9])"),
        "AWS access key id",
        ("AKIA", "ASIA"),
    ),
    ("api_key", re.compile(r"(?<!\w)xox[abposr]-[A-Za-z0-9-]{10,}"), "Slack token", ("xox",)),
    ("api_key", re.compile(r"(?<![\w-])AIza[0-9A-Za-z_-]{35}"), "Google API key", ("AIza",)),
    ("api_key", re.compile(r"(?<![\w-])glpat-[A-Za-z0-9_-]{20,}"), "GitLab token", ("glpat-",)),
    (
        "api_key",
        re.compile(r"(?<![\w-])eyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}"),
        "JSON web token",
        ("eyJ",),
    ),
    # more providers, as they document their key formats (the shapes secret scanners match)
    ("api_key", re.compile(r"(?<![\w.-])SG\.[A-Za-z0-9_-]{16,32}\.[A-Za-z0-9_-]{16,64}"), "SendGrid key", ("SG.",)),
    ("api_key", re.compile(r"(?<!\w)npm_[A-Za-z0-9]{36}(?![A-Za-z0-9])"), "npm token", ("npm_",)),
    ("api_key", re.compile(r"(?<![A-Za-z0-9])SK[0-9a-fA-F]{32}(?![A-Za-z0-9])"), "Twilio API key", ("SK",)),
    ("api_key", re.compile(r"(?<!\w)hf_[A-Za-z0-9]{30,}"), "Hugging Face token", ("hf_",)),
    ("api_key", re.compile(r"(?<![\w-])pypi-AgEIcHlwaS5vcmc[A-Za-z0-9_-]{50,}"), "PyPI token", ("pypi-",)),
    ("api_key", re.compile(r"(?<!\w)shp(?:at|ss|ca|pa)_[a-fA-F0-9]{32}"), "Shopify token", ("shp",)),
    ("api_key", re.compile(r"(?<!\w)do[opr]_v1_[a-f0-9]{64}"), "DigitalOcean token", ("_v1_",)),
    ("api_key", re.compile(r"(?<![\w-])key-[0-9a-f]{32}(?![0-9A-Za-z])"), "Mailgun key", ("key-",)),
    (
        "api_key",
        re.compile(r"(?<![\w-])(?:EAAA[A-Za-z0-9_-]{60}|sq0(?:atp|csp)-[A-Za-z0-9_-]{22,43})(?![\w-])"),
        "Square token",
        ("EAAA", "sq0"),
    ),
    ("api_key", re.compile(r"(?<![\w:])\d{8,10}:AA[A-Za-z0-9_-]{33}(?![\w-])"), "Telegram bot token", (":AA",)),
    (
        "api_key",
        re.compile(r"https://hooks\.slack\.com/services/T[A-Z0-9]+/B[A-Z0-9]+/[A-Za-z0-9]{16,}"),
        "Slack webhook URL",
        ("hooks.slack.com",),
    ),
)
# A secret's name, alone or as the last part of a config key (aws_secret_access_key, DB_PASSWORD,
# client-secret), then `:`/`=` or, in speech, "is"/"was"; the value is the group.
# (no repeated prefix group: "(?:\w+_)*" before it would backtrack quadratically on long texts)
_SECRET_NAME = (
    r"(?<![A-Za-z0-9])(?:api[_ -]?key|(?:secret|private)(?:[_-]access)?[_-]key|access[_-]key|client[_-]secret|"
    r"account[_-]?key|shared[_-]?access[_-]?key|"  # Azure connection strings
    r"auth[_-]?token|access[_-]token|secret|token|password|passphrase|passwd|pwd|pw|mdp|pin)"
)
# (the name may be quoted, as a JSON or YAML key is: `"client_secret": "..."`)
_CREDENTIAL = re.compile(rf"{_SECRET_NAME}[\"']?\s*[:=]\s*[\"']?([^\s\"';]{{8,}})", re.IGNORECASE)
# Said in prose: a secret's name (in the languages of the mails we send), up to a few words about
# what it is for, a verb or colon, then the value: "the password for the staging VPN is X",
# "das Passwort lautet X", "le mot de passe est X", "log in with password X".
_SECRET_SAID = re.compile(
    r"(?<![\w-])(?:passwords?|passwort|kennwort|passphrase|passcode|passwd|pwd|pin|secret|token|api[ -]key|"
    r"mot de passe|contraseña|clave|wachtwoord|senha)(?![\w-])",
    re.IGNORECASE,
)
_SAID_CONNECTORS = frozenset(
    {
        "is",
        "was",
        "are",
        "be",
        "to",
        "now",
        "ist",
        "lautet",
        "lautete",
        "est",
        "était",
        "es",
        "era",
        "é",
        "foi",
        "=",
        ":",
    }
)
_VALUE_QUOTES = "\"'`\u201c\u201d\u2018\u2019\u00ab\u00bb"
_BEARER = re.compile(r"\b(?:Bearer|Basic|Token)\s+([A-Za-z0-9._~+/-]{16,}=*)")
# (the user may be empty: `redis://:PASSWORD@host`)
_URL_PASSWORD = re.compile(r"\b[A-Za-z][A-Za-z0-9+.-]*://[^\s/:@]*:([^\s/@]+)@")
# a command line's user and password: `curl -u admin:PASSWORD`, `--user=admin:PASSWORD`
_COMMAND_USER = re.compile(r"(?<!\S)(?:-u|--user)[ =]+[^\s:]+:([^\s]{6,})")
# What documentation writes where a secret goes (decision 0661): `<your-api-key>`, `${TOKEN}`, `$TOKEN`,
# `postgres://app:<password>@db`,
# `YOUR_SECRET_HERE`, `sk_live_xxxxxxxx...`; never a value with a real key's randomness.
_PLACEHOLDER = re.compile(
    # the whole value in brackets or a variable ("<api key>", "{password}", "${TOKEN}", "$DB_PASS"),
    # a bracketed name inside it, or the words documentation uses; not "Yourname2026!" or "$ummer1!"
    r"^<[^<>]+>$|^\{\{?[^{}]+\}?\}$|^\[[^\]]+\]$|^\([^()]+\)$|^\$\{?[A-Za-z_][A-Za-z0-9_]*\}?$|<[^<>\s]{1,40}>"
    r"|your[-_ ]|placeholder|changeme|redacted|(?:x{6,}|X{6,}|\*{6,}|\.{6,}|•{4,}|0{12,})",
    re.IGNORECASE,
)


def placeholder(value: str) -> bool:
    """A stand-in for a secret as documentation writes it, not a secret."""
    return bool(_PLACEHOLDER.search(value))


_TRAILING_PUNCTUATION = ".,;:!?)]}"
_PASSWORD_SYMBOLS = frozenset("!@#$%^&*_+=/\\|~?<>")
_TOKEN = re.compile(r"(?<![A-Za-z0-9+/_=-])[A-Za-z0-9+/_=-]{24,}(?![A-Za-z0-9+/_=-])")
_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
_HEX = re.compile(r"[0-9a-fA-F]+")

DEFAULT_INTERNAL_MARKERS: tuple[str, ...] = (
    "internal only",
    "internal use only",
    "for internal use",
    "company confidential",
    "strictly confidential",
    "do not distribute",
    "do not forward",
    "not for distribution",
    "not for external distribution",
)
# Classification labels in capitals ("CONFIDENTIAL") are markers; the same words in a sentence
# ("we keep your feedback confidential") are not.
_LABELS_UPPER = re.compile(r"(?<![A-Za-z])(?:CONFIDENTIAL|RESTRICTED|PROPRIETARY|INTERNAL)(?![A-Za-z])")
_LABELLED_CLASSIFICATION = re.compile(
    r"\b(?:classification|sensitivity)\s*:\s*(?:internal|confidential|restricted|secret)\b", re.IGNORECASE
)


# ---------------------------------------------------------------- detectors


def _imitates_ascii(value: str) -> bool:
    return not value.isascii() and any(char in ascii_lookalikes() for char in value)


def find_emails(text: str) -> list[Match]:
    """Addresses valid as written, internationalised ones included (jürgen@müller-bau.example).
    One disguised with look-alike, full-width or invisible characters is left to the revealed
    view (lammesh.watchers.reveal), whose reason says so."""
    return [
        Match("email", m.start(), m.end(), 0.95, "email address")
        for m in _EMAIL.finditer(text)
        if split_address(m.group()) and not _imitates_ascii(m.group())
    ]


def _digit_count(text: str) -> int:
    return sum(char.isdigit() for char in text)


def find_phones(text: str) -> list[Match]:
    found: list[Match] = []
    for m in _PHONE_INTERNATIONAL.finditer(text):
        if 8 <= _digit_count(m.group()) <= 15:
            found.append(Match("phone", m.start(), m.end(), 0.85, "phone number (international format)"))
    for m in _PHONE_NANP.finditer(text):
        found.append(Match("phone", m.start(), m.end(), 0.8, "phone number (North American format)"))
    for m in _PHONE_LABELLED.finditer(text):
        if 9 <= _digit_count(m.group(1)) <= 15:
            found.append(Match("phone", m.start(1), m.end(1), 0.8, "phone number (labelled)"))
    return found


# Card schemes by issuer identification number (IIN) range and the lengths each issues (ISO/IEC
# 7812; ranges as the networks publish them, e.g. the "Payment card number" tables). A number is
# a card number only when its prefix and its length fit one scheme: a 15-digit IMEI that starts
# 35 passes Luhn but is no card (35 is JCB, 16-19 digits), nor is an order number starting 1, 7 or
# 9. UATP (airline, prefix 1) is left out: too many ids start with 1.
# (scheme, lowest prefix, highest prefix (same number of digits), lengths)
CARD_SCHEMES: tuple[tuple[str, str, str, frozenset[int]], ...] = (
    ("American Express", "34", "34", frozenset({15})),
    ("American Express", "37", "37", frozenset({15})),
    ("Diners Club", "300", "305", frozenset({14, 16, 17, 18, 19})),
    ("Diners Club", "3095", "3095", frozenset({14, 16, 17, 18, 19})),
    ("Diners Club", "36", "36", frozenset(range(14, 20))),
    ("Diners Club", "38", "39", frozenset(range(14, 20))),
    ("JCB", "3528", "3589", frozenset(range(16, 20))),
    ("Visa", "4", "4", frozenset({13, 16, 19})),
    ("Mastercard", "51", "55", frozenset({16})),
    ("Mastercard", "2221", "2720", frozenset({16})),
    ("Mir", "2200", "2204", frozenset(range(16, 20))),
    ("Maestro", "50", "50", frozenset(range(12, 20))),
    (
        "Maestro",
        "56",
        "69",
        frozenset(range(12, 20)),
    ),  # Maestro, Discover (6011, 644-649, 65), UnionPay (62), RuPay (60)
    ("UnionPay", "81", "81", frozenset(range(16, 20))),
    ("RuPay", "82", "82", frozenset({16})),
    ("Troy", "9792", "9792", frozenset({16})),
)


def card_scheme(digits: str) -> str | None:
    """The scheme whose IIN range and lengths fit the digits, or None."""
    for scheme, low, high, lengths in CARD_SCHEMES:
        if len(digits) in lengths and low <= digits[: len(low)] <= high:
            return scheme
    return None


# A card number is written in one run of digits, or grouped with one kind of separator (space,
# dash, dot or slash) in fours with a shorter last group (4-4-4-4, 4-4-4-2 for 14 digits, 4-4-4
# for 12), or as Amex (4-6-5) and Diners (4-6-4) print them.
def _card_grouping(groups: list[str]) -> bool:
    sizes = [len(group) for group in groups]
    if tuple(sizes) in ((4, 6, 5), (4, 6, 4)):
        return True
    return all(size == 4 for size in sizes[:-1]) and 1 <= sizes[-1] <= 4


# What an id is called right before it: "Order #", "invoice no.", "Bestellnummer", "N° de
# commande :", "número de pedido", "\"order_id\": \"". Only the label directly before the number counts.
_ID_NOUN = (
    r"order|invoice|inv|booking|reservation|confirmation|ticket|case|tracking|shipment|parcel|consignment|"
    r"purchase order|po|contract|claim|policy|quote|quotation|rma|return|delivery|customer|member|"
    r"bestellung|bestell|auftrag|auftrags|rechnung|rechnungs|kunden|vorgang|vorgangs|sendung|sendungs|lieferschein|"
    r"vertrag|vertrags|buchung|buchungs|commande|facture|dossier|réservation|contrat|colis|suivi|client|"
    r"pedido|factura|reserva|envío|envio|seguimiento|contrato|expediente|cliente|"
    r"bestelling|factuur|boeking|zending|encomenda|fatura|"
    r"for|für|pour|para|per"  # what is paid or refunded for: "refund for N", "charged for N" (decision 0661)
)
_ID_LABEL = re.compile(
    rf"(?<![^\W\d_])(?:{_ID_NOUN})(?:[ _-]?(?:nummer|number|num|nr|no|n\.?[°ºo]|id|#|ref|reference|code))?\.?"
    rf"(?:[ ]?(?:nr|no|n\.?[°ºo])\.?)?[\s\"':#=°º(-]*$",
    re.IGNORECASE,
)
# What follows a card and never an id: its expiry date or security code.
_CARD_DETAILS_AFTER = re.compile(
    r"^[\s\"',;:)(-]{0,4}(?:(?:cvv|cvc|csc|cid)(?![a-z])|exp_(?:month|year)|"
    # an expiry word only with a month/year after it: "valid until 31 May" is an id's, "exp 04/28" a card's
    r"(?:exp(?:iry|ires|iration)?|valid(?: thru| through| until| till)?|gültig(?: bis)?|caduca|vence|geldig(?: tot)?|"
    r"validade)(?![a-z])[\s.:=\"']{0,3}(?:0[1-9]|1[0-2])\s?[/.-]?\s?(?:20)?\d{2}(?!\d)|"
    r"\d{2}\s?/\s?\d{2}(?![\d/]))",  # MM/YY, not a date
    re.IGNORECASE,
)


def labelled_as_id(text: str, start: int, end: int) -> bool:
    """An unbroken run of digits that an id label stands right before, with no expiry date or
    security code after it: how order, invoice and booking numbers are written. A card is
    printed in groups, and a leaked one labelled "ref" still carries its expiry."""
    return bool(_ID_LABEL.search(text[max(0, start - 40) : start])) and not _card_details_after(text, end)


def _card_details_after(text: str, end: int) -> bool:
    return bool(_CARD_DETAILS_AFTER.search(text[end : end + 30]))


# What a card is called (decision 0661): a card word in the 60 characters before the number, or
# in the 30 after it ("6250 ... is my UnionPay card"), in the languages of our mails.
# (words that are also ordinary words are left out or narrowed: "cc" only as a field, "cc:",
# never "cc'd"; Mir only in capitals or as "Mir card"; no "discover", "pan", "troy"; see
# _NOT_A_PAYMENT_CARD for "ID card", "visa application")
_CARD_WORD = re.compile(
    r"(?<![^\W\d_])(?:(?:credit|debit|bank|payment)?[ -]?cards?|(?:kredit|bank|debit|giro)?karte|kartennummer|"
    r"carte|tarjeta|cart[aã]o|kaart|creditcard|cc(?=\s*[:#=])|ccn|visa|mastercard|master card|amex|"
    r"american express|maestro|jcb|diners|unionpay|union pay|rupay|(?-i:MIR)|mir card|cvv|cvc|cryptogramme|"
    r"paid with|pay with|paying with|bezahlt mit|payé avec|pagado con)"
    r"(?![^\W\d_])",
    re.IGNORECASE,
)
# "charge" only right before the number ("please charge 4111 ..."): "free of charge", "in charge of"
_CHARGE_RIGHT_BEFORE = re.compile(
    r"(?<![^\W\d_])(?:charge|belasten|belaste|débiter|débitez)(?:\s+(?:it|this|that|my|to|on|es|sie))*[\s:]*$",
    re.IGNORECASE,
)
# a card that is not a payment card: "ID card", "PAN card", "SIM-Karte", "gift card", "visa application"
_NOT_A_PAYMENT_CARD_BEFORE = re.compile(
    r"(?<![^\W\d_])(?:id|identity|pan|aadhaar|sim|gift|business|key|boarding|loyalty|membership|member|post|"
    r"greeting|report|score|flash|memory|sd|graphics|network|wild|access|library|student|work|travel|"
    r"schengen|tourist|entry|green|red|yellow|time|index|rate|insurance|health)[\s-]*$",
    re.IGNORECASE,
)
_NOT_A_PAYMENT_CARD_AFTER = re.compile(
    r"^[\s-]*(?:application|sponsorship|appointment|interview|requirements?|letter|status|process|support|"
    r"holders?|type|permits?|waiver|invitation|office|reader|slot|game)(?![^\W\d_])",
    re.IGNORECASE,
)
# A card word that names the number itself ("card number:", "card details for the booking:",
# "Kartennummer"): the number is a card even with an id label right before it (decision 0661).
_CARD_NAMED = re.compile(
    r"(?<![^\W\d_])(?:card[ _-]?(?:number|no|nr|num|#|details|data|info)|cc[ _-]?(?:number|no|num)|kartennummer|"
    r"kartendaten|kreditkartennummer|numéro de (?:la )?carte|número de (?:la )?tarjeta|número do cartão|kaartnummer)"
    r"(?![^\W\d_])[^.!?\n]*$",
    re.IGNORECASE,
)
# What an id is called anywhere near it, as word stems ("your parcel ... the carrier lists it as
# N", "N is your order number", a table's "Order" column): wider than _ID_LABEL, so it only
# decides where no card word does (decision 0661). Not the words a card is as often paid *to*
# ("put N on my account", "the customer's N", "the bill"), or a leaked card beside them passes.
_ID_WORD = re.compile(
    r"(?<![^\W\d_])(?:order|orden|ordine|invoice|booking|reservation|ticket|case|track|ship|"
    r"parcel|package|consignment|deliver|return|refund|claim|policy|contract|member|"
    r"id(?![^\W\d_])|voucher|coupon|transaction|txn|awb|waybill|confirmation|"
    r"subscription|application|applicant|candidate|requisition|employee|staff|personnel|serial|"
    r"warranty|device|imei|ean|gtin|sku|article|quote|loyalty|points|"
    r"bestell|auftrag|rechnung|buchung|kunde|sendung|liefer|paket|vertrag|bewerb|mitarbeiter|"
    r"mitglied|vorgang|commande|facture|colis|suivi|dossier|candidat|envío|envio|seguimiento|pedido|"
    r"factura|expediente|encomenda|fatura|processo|candidatura|bestelling|factuur|zending|sollicitatie|"
    r"spedizione|fattura)",
    re.IGNORECASE,
)
# Schemes whose ranges are wide and shared with ids (Maestro/Discover/UnionPay/RuPay 50 and 56-69,
# UnionPay 81, RuPay 82, Mir, Troy), and 13-digit Visa (no longer issued): an unbroken run of
# these with nothing calling it a card is read as an id.
_WIDE_SCHEMES = frozenset({"Maestro", "UnionPay", "RuPay", "Mir", "Troy"})


# a card word that names a masked card ("your Visa ending in 4242", "card **** 1881") is about
# that card, not about a number near it
_MASKED_AFTER = re.compile(
    r"^[\s:,()-]*(?:\(?(?:ending|ends|endet|terminant|terminada|terminando|eindigend|final)\b|[*xX•·#]{4})",
    re.IGNORECASE,
)


def _said(pattern: re.Pattern[str], part: str) -> bool:
    """A card word in `part` that is about a payment card and not a masked one."""
    if pattern is _CARD_WORD and _CHARGE_RIGHT_BEFORE.search(part):
        return True
    return any(
        not _MASKED_AFTER.match(part[m.end() : m.end() + 25])
        and not (
            pattern is _CARD_WORD
            and (
                _NOT_A_PAYMENT_CARD_BEFORE.search(part[max(0, m.start() - 20) : m.start()])
                or _NOT_A_PAYMENT_CARD_AFTER.match(part[m.end() : m.end() + 20])
            )
        )
        for m in pattern.finditer(part)
    )


def _before(text: str, start: int, size: int) -> str:
    """The `size` characters before `start`, within its paragraph."""
    head = text[max(0, start - size) : start]
    return head[head.rfind("\n\n") + 2 :] if "\n\n" in head else head


def _after(text: str, end: int, size: int) -> str:
    tail = text[end : end + size]
    return tail[: tail.find("\n\n")] if "\n\n" in tail else tail


def _card_candidates(text: str) -> Iterable[re.Match[str]]:
    """Every run _CARD matches, and when one is no card, the runs starting at its later groups:
    in "Ref 2026\n4111 1111 1111 1111" the first run takes the year and leaves a group behind."""
    position = 0
    while (m := _CARD.search(text, position)) is not None:
        yield m
        position = m.start() + 1


def _is_card(text: str, start: int, end: int, raw: str, scheme: str, digits: str, disguised: bool) -> bool:
    """Whether a Luhn-valid number in a scheme's range and length is a card, from how it is
    written and what the text calls it (decision 0661), in this order: an expiry or security code
    after it makes it a card; an id label right before an unbroken run makes it an id (unless the
    sentence names it a card: "card details for the booking: N"); a card
    word before it (not one naming a masked card, "Visa ending 4242") makes it a card, however
    it is grouped; a number printed in card groups is a card; an id word near an unbroken run
    makes it an id; a card word after it makes it a card; an unbroken run is a card unless its
    scheme is one of the wide ranges ids share (or a 13-digit Visa) and nothing calls it a card. A
    number that is the whole of a disguised view (spelled out, spaced apart, encoded) has no
    text around it: the disguise itself says it is not an id."""
    separators = {"\n" if char.isspace() else char for char in raw if not char.isdigit()}
    groups = [group for group in re.split(r"[\s./_|*-]+", raw) if group]
    printed_as_card = (
        len(separators) <= 1 and not separators & {"|", "*"} and (not separators or _card_grouping(groups))
    )  # a bar or a star between groups: only when something calls it a card
    if _card_details_after(text, end):
        return printed_as_card or _regular_groups(groups)
    if not separators and labelled_as_id(text, start, end) and not _CARD_NAMED.search(_before(text, start, 60)):
        return False
    if _said(_CARD_WORD, _before(text, start, 60)):
        return printed_as_card or _regular_groups(groups)  # "62 50 75 88 ...", "4716 3821-0094 5532"
    if separators and printed_as_card:
        return True
    if not separators and (
        _ID_WORD.search(_before(text, start, 60)) or _ID_WORD.search(_after(text, end, 40)) or _id_column(text, start)
    ):
        return False
    if _said(_CARD_WORD, _after(text, end, 30)):  # "6250 ... is my UnionPay card"
        return printed_as_card or _regular_groups(groups)
    if not printed_as_card:
        return False
    return disguised or not _wide(scheme, digits)


def _wide(scheme: str, digits: str) -> bool:
    """A scheme range shared with ids, except the narrow prefixes only cards use (Discover 6011
    and 644-649), or a 13-digit Visa."""
    if digits.startswith("6011") or "644" <= digits[:3] <= "649":
        return False
    return scheme in _WIDE_SCHEMES or (scheme == "Visa" and len(digits) == 13)


def _regular_groups(groups: list[str]) -> bool:
    """Groups of two or more digits (the last may be shorter): "62 50 75 ...", "652 193 ... 2"."""
    return all(len(group) >= 2 for group in groups[:-1])


def _id_column(text: str, start: int) -> bool:
    """A number at the start of a table row whose header line names an id ("Order  Status")."""
    line_start = text.rfind("\n", 0, start) + 1
    if text[line_start:start].strip():
        return False
    header_end = text.rfind("\n", 0, line_start)
    for line in text[:header_end].split("\n")[::-1][:12]:  # the rows above, up to the header
        if not line.strip():
            return False
        if not line.lstrip()[:1].isdigit():
            return bool(_ID_WORD.match(line.strip()))
    return False


def find_cards(text: str, *, disguised: bool = False) -> list[Match]:
    """Card numbers: 12-19 digits in a scheme's range and length that pass Luhn, told from ids by
    how they are written and what the text calls them (_is_card). `disguised`: the text is a
    value taken out of a disguise (spelled out, spaced apart, decoded), with no text around it."""
    found: list[Match] = []
    for m in _card_candidates(text):
        if found and m.start() < found[-1].end:
            continue  # inside the card just found
        raw = m.group()
        digits = "".join(char for char in raw if char.isdigit())
        scheme = card_scheme(digits)
        if not scheme or not luhn_valid(digits):
            continue
        if not _is_card(text, m.start(), m.end(), raw, scheme, digits, disguised):
            continue
        found.append(Match("card_number", m.start(), m.end(), 0.95, f"card number ({scheme}, Luhn-valid)"))
    return found


def find_ibans(text: str) -> list[Match]:
    found = []
    for m in _IBAN.finditer(text):
        raw = m.group()
        if len({"\n" if char.isspace() else char for char in raw if not char.isalnum()}) > 1:
            continue  # one kind of separator, as IBANs are printed
        if "/" not in raw and iban_valid("".join(char for char in raw if char.isalnum())):
            found.append(Match("iban", m.start(), m.end(), 0.97, "IBAN (checksum valid)"))
    return found


def find_national_ids(text: str) -> list[Match]:
    found = []
    for pattern in (_SSN, _SSN_LABELLED):
        for m in pattern.finditer(text):
            if ssn_valid(*m.groups()):
                found.append(Match("national_id", m.start(1), m.end(3), 0.85, "US social security number"))
    for m in _UK_NINO.finditer(text):
        found.append(Match("national_id", m.start(), m.end(), 0.8, "UK national insurance number"))
    return found


def find_keys(text: str) -> list[Match]:
    found = []
    for kind, pattern, detail, literals in _KEY_PATTERNS:
        if any(literal in text for literal in literals):
            found += [
                Match(kind, m.start(), m.end(), 0.99, detail)
                for m in pattern.finditer(text)
                if kind == "private_key" or not placeholder(m.group())
            ]
    if ":" in text or "=" in text:
        for m in _CREDENTIAL.finditer(text):
            value = m.group(1)
            if (value.isalpha() and value.islower()) or placeholder(value):
                continue  # "password: forgotten" is prose, not a password
            found.append(Match("credential", m.start(1), m.end(1), 0.85, "credential assignment"))
        for m in _URL_PASSWORD.finditer(text):
            if not placeholder(m.group(1)):
                found.append(
                    Match("credential", m.start(1), m.end(1), 0.97, "password in a URL")
                )  # beats the "email" its @ makes
        for m in _COMMAND_USER.finditer(text):
            if not placeholder(m.group(1)):
                found.append(Match("credential", m.start(1), m.end(1), 0.9, "password on a command line"))
    found += find_said_credentials(text)
    if "Bearer" in text or "Basic" in text or "Token" in text:
        for m in _BEARER.finditer(text):
            found.append(Match("credential", m.start(1), m.end(1), 0.9, "authorization header token"))
    return found


def _password_like(value: str) -> bool:
    """Said aloud, only a value with a digit or a symbol counts: "the password is changed
    monthly", "the token is Monday's", "the password is case-sensitive" are prose."""
    return len(value) >= 8 and any(c.isdigit() or c in _PASSWORD_SYMBOLS for c in value) and not value.isdigit()


_WORD = re.compile(r"\S+")


def find_said_credentials(text: str) -> list[Match]:
    """A secret's value said in a sentence: after the secret's name, the word that follows the
    first verb or colon among the next six words ("the password for the VPN is X", "the PIN
    for the door: X"), or the word right after the name ("with password X"). Only one
    candidate per name, so "the password is in 1Password" is prose."""
    found = []
    for name in _SECRET_SAID.finditer(text):
        if text[name.start() - 1 : name.start()] in ("<", "{", "$", "_"):
            continue  # "<password>", "$TOKEN", "${DB_TOKEN}" name a placeholder, not a secret
        window = text[name.end() : name.end() + 120]
        words = [(w.start(), w.group()) for w in _WORD.finditer(window)][:8]
        candidate = None
        for index, (_, word) in enumerate(words[:6]):
            bare = word.lower().strip(_VALUE_QUOTES)
            if bare in _SAID_CONNECTORS or (bare.endswith(":") and len(bare) > 1 and index < 5):
                candidate = words[index + 1] if index + 1 < len(words) else None
                break
            if word[-1:] in ".;!?" and not _password_like(word.rstrip(_TRAILING_PUNCTUATION)):
                break  # the sentence ended without saying a value
        else:
            candidate = None
        if (
            candidate is None
            and words
            and _password_like(words[0][1].strip(_VALUE_QUOTES).rstrip(_TRAILING_PUNCTUATION))
        ):
            candidate = words[0]
        if candidate is None:
            continue
        offset, word = candidate
        start = name.end() + offset
        end = start + len(word)
        while end > start and text[end - 1] in _TRAILING_PUNCTUATION + _VALUE_QUOTES:
            end -= 1  # "... the password is Winter2026!Fleet." ends the sentence, not the password
        while start < end and text[start] in _VALUE_QUOTES:
            start += 1
        if _password_like(text[start:end]) and not placeholder(text[start:end]) and "://" not in text[start:end]:
            found.append(Match("credential", start, end, 0.85, "credential said aloud"))
    return found


# Digests are identifiers: a subresource-integrity value (`sha384-<base64>`), and a hex digest of
# 32+ characters even where a layout view has glued it to the next word (decision 0661).
_SRI = re.compile(r"sha(?:256|384|512)-[A-Za-z0-9+/]{43,86}={0,2}")
_HEX_DIGEST = re.compile(r"(?<![0-9a-fA-F])[0-9a-fA-F]{32,}(?![0-9a-fA-F])")


def _digest(token: str) -> bool:
    return bool(_SRI.fullmatch(token) or _HEX_DIGEST.search(token))


def find_high_entropy(text: str, *, min_length: int = 24, min_bits: float = 4.0) -> list[Match]:
    """Long random-looking tokens (unknown kinds of keys): enough length and entropy, letters
    mixed with digits. UUIDs and plain hex digests are identifiers, not secrets."""
    found = []
    for m in _TOKEN.finditer(text):
        token = m.group()
        if len(token) < min_length or _UUID.fullmatch(token) or _HEX.fullmatch(token) or _digest(token):
            continue
        classes = sum(
            (any(c.islower() for c in token), any(c.isupper() for c in token), any(c.isdigit() for c in token))
        )
        if classes < 2 or not any(c.isdigit() for c in token):
            continue
        if shannon_entropy(token) >= min_bits:
            found.append(Match("high_entropy", m.start(), m.end(), 0.7, "random-looking token (possible secret)"))
    return found


# Meeting and webinar invitations: the join link and the passcode are meant for the invitee.
_MEETING_WORD = (
    r"meeting|webinar|zoom|teams|webex|gotomeeting|whereby|jitsi|bluejeans|recording|conference|call|"
    r"besprechung|sitzung|konferenz|réunion|reunión|reunião|vergadering|videoconferencia"
)
_MEETING_URL = re.compile(r"\bhttps?://[^\s<>\"')\]]+", re.IGNORECASE)
_MEETING_URL_WORD = re.compile(
    r"zoom|teams|webex|meet|webinar|gotomeeting|whereby|jitsi|bluejeans|chime|/j/|/w/|/join", re.IGNORECASE
)
# a link on a line that says what it joins ("Your personal link to join the webinar: https://...")
# ("call" is not one of them: "Call the API at https://...?token=..." joins nothing)
_JOIN_LINE = re.compile(
    r"\b(?:join|beitreten|rejoindre|unirse|participar|deelnemen|meeting|webinar|zoom|teams|webex|conference|konferenz|"
    r"besprechung|réunion|reunión|reunião|vergadering)",
    re.IGNORECASE,
)
# a link that hands over an API credential is not a join link, whatever the line says
_SECRET_PARAMETER = re.compile(
    r"[?&](?:api[_-]?key|apikey|key|secret|client_secret|access_token|auth|password|sig|signature)=", re.IGNORECASE
)
_MEETING_ID_LINE = re.compile(
    rf"^[ \t]*(?:(?:{_MEETING_WORD})[ -]?(?:id|number|nummer|nr\.?|no\.?)|id (?:de|da|del) (?:la )?(?:{_MEETING_WORD})|"
    rf"(?:{_MEETING_WORD})-?id)\b.*$",
    re.IGNORECASE | re.MULTILINE,
)
# a passcode by name; a generic secret word only with a meeting word before it ("Meeting password")
_PASSCODE_NAME = (
    r"passcode|pass code|access code|kenncode|zugangscode|code secret|code d'accès|código de acceso|código de acesso|"
    r"toegangscode|senha de acesso|join code|event code|registration code|attendee code|participant code|"
    r"attendee pin|participant pin|teilnehmer-pin|teilnehmercode|code participant|código de participante"
)
_GENERIC_SECRET_WORD = r"password|passwort|kennwort|senha|contraseña|mot de passe|pin|pwd"
_MEETING_PASSCODE = re.compile(
    rf"(?<![\w-])(?:(?P<meeting>(?:{_MEETING_WORD})[ -]?)?(?P<name>{_PASSCODE_NAME})|(?P<prefixed>(?:{_MEETING_WORD})[ -]?)(?:{_GENERIC_SECRET_WORD})|"
    rf"(?P<generic>(?:{_GENERIC_SECRET_WORD})))(?![\w-])(?:\s*(?:\([^)]{{0,30}}\))?)"
    rf"(?P<connector>\s*(?::|=|-|is|est|es|ist|lautet|é)\s*|\s+)[\"'«“]?(?P<value>[^\s\"'»”,;]{{3,64}})",
    re.IGNORECASE,
)
_MEETING_WORD_RE = re.compile(rf"(?<![\w-])(?:{_MEETING_WORD})", re.IGNORECASE)
_PARAGRAPH_BREAK = re.compile(r"\n[ \t]*\n")


def _paragraphs(text: str) -> list[tuple[int, int]]:
    bounds, start = [], 0
    for m in _PARAGRAPH_BREAK.finditer(text):
        bounds.append((start, m.start()))
        start = m.end()
    return [*bounds, (start, len(text))]


_NAMED_SECRET_PARAMETER = re.compile(rf"[?&]{_SECRET_NAME}=", re.IGNORECASE)


def _join_link_span(text: str, url: re.Match[str]) -> tuple[int, int] | None:
    """The part of a URL that is a meeting's join link, or None. A link to a meeting service or a
    join path is one whole; a link that only its line describes ("Your link to join the webinar:")
    is one up to its query when the query names a secret (`?token=...`), which stays checked.
    A link that hands over an API credential (`?api_key=`) is none."""
    if _SECRET_PARAMETER.search(url.group()):
        return None
    if _MEETING_URL_WORD.search(url.group()):
        return url.span()
    line_start = text.rfind("\n", 0, url.start()) + 1
    before = text[line_start : url.start()]
    if not before.strip():  # the link starts its line: the line above says what it is
        before = text[text.rfind("\n", 0, max(0, line_start - 1)) + 1 : line_start]
    if not _JOIN_LINE.search(before):
        return None
    query = url.group().find("?")
    if query >= 0 and _NAMED_SECRET_PARAMETER.search(url.group(), query):
        return url.start(), url.start() + query
    return url.span()


def find_meeting_details(text: str) -> list[Match]:
    """What a meeting or webinar invitation gives the invitee to join: the join link (a URL
    that names a meeting service or a join path) and, in a paragraph that has such a link or a
    meeting-ID line, the value after "Passcode:", "Kenncode:", "Code secret :", "Meeting
    password:", or after a bare "Senha:"/"Password:" on the line right below the meeting ID; in a
    paragraph that only names a meeting ("use passcode X to join the webinar"), the value after
    a passcode's own name. A link counts when it names a meeting service or a join path, or the
    line before it says what it joins, and it carries no API credential (`?api_key=`).
    Kind `meeting_passcode`, more confident than a credential or a random-looking token (so it
    stands for them where they overlap) and less than a key of a known shape, which still blocks."""
    lowered = text.lower()
    if not any(
        word in lowered
        for word in (
            "meet",
            "webinar",
            "zoom",
            "teams",
            "webex",
            "réunion",
            "reunión",
            "reunião",
            "vergadering",
            "besprechung",
            "call",
            "recording",
        )
    ):
        return []
    found = []
    links = [span for m in _MEETING_URL.finditer(text) if (span := _join_link_span(text, m))]
    found += [Match("meeting_passcode", start, end, 0.98, "meeting join link") for start, end in links]
    id_lines = list(_MEETING_ID_LINE.finditer(text))
    for start, end in _paragraphs(text):
        about_a_meeting = any(
            start <= at < end for at in [*(link[0] for link in links), *(m.start() for m in id_lines)]
        )
        said_in_it = bool(_MEETING_WORD_RE.search(text, start, end))
        if not (about_a_meeting or said_in_it):
            continue
        for m in _MEETING_PASSCODE.finditer(text, start, end):
            if not about_a_meeting and not m.group("name"):
                continue  # a paragraph that only mentions a meeting vouches for a passcode by name alone
            if m.group("generic"):
                line_start = text.rfind("\n", 0, m.start()) + 1
                if text[line_start : m.start()].strip():
                    continue  # a bare "password" mid-sentence is not the meeting's
                above = text.rfind("\n", 0, max(0, line_start - 1)) + 1
                if not any(id_line.start() >= above and id_line.end() <= line_start for id_line in id_lines):
                    continue
            value_end = m.end("value")
            while value_end > m.start("value") and text[value_end - 1] in _TRAILING_PUNCTUATION:
                value_end -= 1
            found.append(Match("meeting_passcode", m.start("value"), value_end, 0.98, "meeting passcode"))
    return found


def marker_finder(extra_markers: Iterable[str] = ()) -> Callable[[str], list[Match]]:
    phrases = sorted(
        {*DEFAULT_INTERNAL_MARKERS, *(marker.lower() for marker in extra_markers if marker.strip())},
        key=len,
        reverse=True,
    )
    phrase_pattern = re.compile(r"(?<!\w)(?:" + "|".join(re.escape(p) for p in phrases) + r")(?!\w)", re.IGNORECASE)

    def find_markers(text: str) -> list[Match]:
        found = [
            Match("internal_marker", m.start(), m.end(), 0.8, "internal-only marker")
            for m in phrase_pattern.finditer(text)
        ]
        found += [
            Match("internal_marker", m.start(), m.end(), 0.8, "classification label")
            for m in _LABELS_UPPER.finditer(text)
        ]
        found += [
            Match("internal_marker", m.start(), m.end(), 0.8, "classification label")
            for m in _LABELLED_CLASSIFICATION.finditer(text)
        ]
        return found

    return find_markers


# Closing lines before a mail's signature: a short line that ends with a comma or an exclamation
# mark ("Best,", "Thanks!", "Safe travels,"), or one of the closings written without one.
_CLOSINGS = re.compile(
    r"(?:best|best regards|kind regards|regards|warm regards|many thanks|thanks|thank you|cheers|sincerely|"
    r"yours|yours sincerely|all the best|mit freundlichen grüßen|mit freundlichen grüssen|freundliche grüße|"
    r"viele grüße|beste grüße|liebe grüße|grüße|cordialement|bien cordialement|bien à vous|salutations|"
    r"un saludo|saludos|saludos cordiales|atentamente|met vriendelijke groet|vriendelijke groet|groeten|"
    r"atenciosamente|cumprimentos|abraço|obrigado|obrigada)[.!]?",
    re.IGNORECASE,
)
SIGNATURE_MAX_LINES = 6
SIGNATURE_MAX_LINE = 80


def signature_start(text: str) -> int | None:
    """Where the sender's signature starts: the line after the last closing line ("Best,",
    "Mit freundlichen Grüßen"), when at most six short lines follow it to the end of the text
    (name, title, company, phone). The first line (the greeting, "Hi Ana,") is never a closing.
    None when the text has no such block."""
    lines = text.splitlines(keepends=True)
    offsets = [0]
    for line in lines:
        offsets.append(offsets[-1] + len(line))
    for index in range(len(lines) - 1, 0, -1):
        line = lines[index].strip()
        tail = [t.strip() for t in lines[index + 1 :] if t.strip()]
        if len(tail) > SIGNATURE_MAX_LINES or any(len(t) > SIGNATURE_MAX_LINE for t in tail):
            return None
        if not tail or not line:
            continue
        if not any(t.strip() for t in lines[:index]):
            return None  # only the greeting before it
        if _CLOSINGS.fullmatch(line.rstrip(",")) or (len(line) <= 40 and line[-1] in ",!" and len(line.split()) <= 5):
            return offsets[index + 1]
    return None


def drop_overlaps(matches: list[Match]) -> list[Match]:
    """Where matches overlap keep the most confident (then the longest): a JWT is not also a
    high-entropy token, an IBAN's digits are not also a phone number."""
    kept: list[Match] = []
    for match in sorted(matches, key=lambda m: (-m.confidence, -(m.end - m.start), m.start)):
        if all(match.end <= other.start or match.start >= other.end for other in kept):
            kept.append(match)
    return sorted(kept, key=lambda m: (m.start, m.end))
