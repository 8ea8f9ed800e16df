"""How the frozen rule-watcher sets under evaluation/frozen/{grounding,pii,policy}/ were made.

Kept for provenance only: the JSONL files are the evaluation data, and this script refuses to
overwrite them (pass --force to a scratch --out to see what it would write). Rebuilding needs
`faker` (MIT; `pip install faker==40.63.0`), which is not a project dependency, and the models of
`make setup` (the grounding sources are the real notes and insights agents' outputs on the
hand-written meetings, computed once and frozen).

    .venv/bin/python evaluation/authoring/build_frozen.py --out /tmp/frozen-scratch
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import string
import sys
import uuid
from datetime import date
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from grounding_meetings import CLOSERS, GREETINGS, MEETINGS, OPENERS, SIGN_OFFS  # noqa: E402
from pii_templates import BENIGN, LEAKS  # noqa: E402

WRITER = "rulewatchers session (issue 18), hand-written before reading the watchers' code or tests"
SEED = 18


# ------------------------------------------------------------------------------ small generators
def luhn_digit(payload: str) -> str:
    total = 0
    for i, ch in enumerate(reversed(payload)):
        d = int(ch)
        if i % 2 == 0:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return str((10 - total % 10) % 10)


def luhn_number(rng: random.Random, prefix: str, length: int) -> str:
    body = prefix + "".join(rng.choice(string.digits) for _ in range(length - len(prefix) - 1))
    return body + luhn_digit(body)


def mod97_ref(rng: random.Random) -> str:
    """An ISO 11649 creditor reference (RFkk + up to 21 characters), valid check digits."""
    ref = "".join(rng.choice(string.digits) for _ in range(rng.choice([8, 10, 12])))
    numeric = "".join(str(int(c, 36)) for c in ref + "RF00")
    check = 98 - int(numeric) % 97
    full = f"RF{check:02d}{ref}"
    return " ".join(full[i : i + 4] for i in range(0, len(full), 4))


def alnum(rng: random.Random, n: int, alphabet: str = string.ascii_letters + string.digits) -> str:
    return "".join(rng.choice(alphabet) for _ in range(n))


def group(s: str, sizes: list[int], sep: str) -> str:
    out, i = [], 0
    for size in sizes:
        out.append(s[i : i + size])
        i += size
    if i < len(s):
        out.append(s[i:])
    return sep.join(p for p in out if p)


class Fill:
    """Values for the benign slots: names, places and phones from Faker; look-alikes made here."""

    def __init__(self, rng: random.Random, faker_for) -> None:
        self.rng = rng
        self.faker_for = faker_for

    def values(self, lang: str) -> dict[str, str]:
        rng = self.rng
        locale = {
            "en": rng.choice(["en_GB", "en_US", "en_IE", "en_AU"]),
            "de": "de_DE",
            "fr": "fr_FR",
            "es": "es_ES",
            "nl": "nl_NL",
            "pt": "pt_BR",
        }[lang]
        fk = self.faker_for(locale)
        order_kind = rng.randrange(4)
        if order_kind == 0:
            luhn_order = luhn_number(rng, rng.choice("123456789"), 12)
        elif order_kind == 1:
            luhn_order = "SO-" + luhn_number(rng, "9", 14)
        elif order_kind == 2:
            luhn_order = "#" + luhn_number(rng, "0", 16)
        else:
            n = luhn_number(rng, "8", 16)
            luhn_order = group(n, [4, 4, 4, 4], "-")
        imei = luhn_number(rng, rng.choice(["35", "86", "01"]), 15)
        siren = luhn_number(rng, rng.choice("3456789"), 9)
        siret = luhn_number(rng, siren, 14)
        siret = f"{siret[:3]} {siret[3:6]} {siret[6:9]} {siret[9:]}"
        cc = rng.choice(["DE", "GB", "NL", "FR", "ES", "IT"])
        file_kind = rng.randrange(3)
        if file_kind == 0:
            file_ref = f"INV-2026-{rng.randrange(10**5, 10**6)}"
        elif file_kind == 1:
            file_ref = f"{cc}00 NW{rng.randrange(10, 99)} {rng.randrange(1000, 9999)} {rng.randrange(1000, 9999)} {rng.randrange(10, 99)}"
        else:
            file_ref = (
                f"{cc}-{rng.randrange(2024, 2027)}-{rng.randrange(1000, 9999)}-{alnum(rng, 2, string.ascii_uppercase)}"
            )
        masked = rng.choice(["•••• {}", "**** **** **** {}", "XXXX-XXXX-XXXX-{}", "{}"]).format(
            rng.randrange(1000, 9999)
        )
        amount = rng.choice(
            [
                "€12.480,00",
                "$4,999.00",
                "GBP 1 250.00",
                "CHF 3'400.–",
                "EUR 760",
                "US$ 18,250",
                "£ 92.40",
                "1.234,56 €",
                "R$ 2.300,00",
            ]
        )
        tracking = rng.choice(
            [
                "1Z" + alnum(rng, 16, string.ascii_uppercase + string.digits),
                "".join(rng.choice(string.digits) for _ in range(10)),
                alnum(rng, 2, string.ascii_uppercase) + "".join(rng.choice(string.digits) for _ in range(9)) + "GB",
                "".join(rng.choice(string.digits) for _ in range(12)),
            ]
        )
        return {
            "first": fk.first_name(),
            "company": fk.company(),
            "sender": fk.name(),
            "phone": fk.phone_number(),
            "street": fk.street_address().replace("\n", ", "),
            "city": fk.city(),
            "luhn_order": luhn_order,
            "imei": imei,
            "siret": siret,
            "creditor_ref": mod97_ref(rng),
            "file_ref": file_ref,
            "masked_card": masked,
            "sha": alnum(rng, 40, "0123456789abcdef"),
            "digest": "sha256:" + alnum(rng, 64, "0123456789abcdef"),
            "uuid": str(uuid.UUID(int=rng.getrandbits(128))),
            "amount": amount,
            "tracking": tracking,
            "role_address": rng.choice(
                ["support", "security", "privacy", "events", "billing", "noreply", "dpo", "it-helpdesk"]
            )
            + "@northwind.example",
            "version": rng.choice(["4.12.0", "2026.11.3", "v7.0.1-rc2", "3.8"]),
            "date": fk.date_between(date(2026, 1, 1), date(2027, 12, 31)).strftime(
                rng.choice(["%d %B %Y", "%B %d", "%Y-%m-%d", "%d/%m/%Y"])
            ),
        }


def secret_for(kind: str, disguise: str, rng: random.Random, faker_for) -> str:
    if kind == "card":
        fk = faker_for("en_US")
        card_type = (
            "amex"
            if "amex" in disguise
            else rng.choice(["visa16", "mastercard", "discover", "jcb16", "diners", "maestro"])
        )
        n = fk.credit_card_number(card_type)
        if "amex" in disguise:
            return group(n, [4, 6, 5], " ")
        sep = {
            "plain, spaces": " ",
            "dashes": "-",
            "no separators": "",
            "dots": ".",
            "slashes": "/",
            "in a table row": " ",
            "in subject": " ",
            "in display name": " ",
            "written with card words": " ",
            "split over two lines": " ",
            "in parentheses with name": "-",
        }[disguise]
        if len(n) == 16:
            return group(n, [4, 4, 4, 4], sep)
        return group(n, [4, 4, 4, 4], sep) if sep else n
    if kind == "iban":
        locale = rng.choice(["de_DE", "en_GB", "fr_FR", "nl_NL", "es_ES", "it_IT", "pl_PL", "pt_PT"])
        if "non-English" in disguise:
            locale = "de_DE"
        iban = faker_for(locale).iban()
        if disguise == "compact":
            return iban
        if disguise == "lowercase":
            return group(iban.lower(), [4] * 8, " ")
        if disguise == "dashes":
            return group(iban, [4] * 8, "-")
        return group(iban, [4] * 8, " ")
    up_digits = string.ascii_uppercase + "234567"
    b64 = string.ascii_letters + string.digits + "+/"
    if kind == "aws_key":
        return "AKIA" + alnum(rng, 16, up_digits)
    if kind == "aws_secret":
        return alnum(rng, 40, b64)
    if kind == "github_token":
        return rng.choice(["ghp_" + alnum(rng, 36), "github_pat_" + alnum(rng, 22) + "_" + alnum(rng, 59)])
    if kind == "slack_token":
        return f"xoxb-{rng.randrange(10**11, 10**12)}-{rng.randrange(10**11, 10**12)}-{alnum(rng, 24)}"
    if kind == "stripe_key":
        return rng.choice(["sk_live_", "rk_live_"]) + alnum(rng, 24)
    if kind == "google_key":
        return "AIza" + alnum(rng, 35, string.ascii_letters + string.digits + "_-")
    if kind == "private_key":
        label = rng.choice(["RSA PRIVATE KEY", "OPENSSH PRIVATE KEY", "PRIVATE KEY", "EC PRIVATE KEY"])
        lines = [alnum(rng, 64, b64) for _ in range(rng.randrange(3, 7))]
        return f"-----BEGIN {label}-----\n" + "\n".join(lines) + f"\n-----END {label}-----"
    if kind == "password":
        return rng.choice(
            [
                alnum(rng, 4, string.ascii_letters) + str(rng.randrange(10, 99)) + rng.choice("!#$%&*") + alnum(rng, 5),
                rng.choice(["Harbour", "Summer", "Kestrel", "Welcome", "Falcon"])
                + str(rng.randrange(2020, 2030))
                + rng.choice("!?#"),
                alnum(rng, 14, string.ascii_letters + string.digits + "!@#$%^&*"),
            ]
        )
    if kind == "conn_string":
        pw = alnum(rng, 12, string.ascii_letters + string.digits + "!*")
        return rng.choice(
            [
                f"postgresql://report:{pw}@db-replica.internal.example:5432/analytics",
                f"mongodb+srv://etl_user:{pw}@cluster0.ab12c.mongodb.net/prod",
                f"mysql://root:{pw}@10.20.0.14:3306/crm",
            ]
        )
    if kind == "jwt":
        import base64

        def b64u(obj: dict) -> str:
            return base64.urlsafe_b64encode(json.dumps(obj).encode()).rstrip(b"=").decode()

        return (
            b64u({"alg": "HS256", "typ": "JWT"})
            + "."
            + b64u({"sub": str(rng.randrange(10**6)), "role": "admin", "exp": 1893456000})
            + "."
            + alnum(rng, 43, string.ascii_letters + string.digits + "-_")
        )
    if kind == "openai_key":
        return rng.choice(
            ["sk-proj-" + alnum(rng, 48, string.ascii_letters + string.digits + "_-"), "sk-" + alnum(rng, 48)]
        )
    if kind == "azure_conn":
        return f"DefaultEndpointsProtocol=https;AccountName=nwexports{rng.randrange(10, 99)};AccountKey={alnum(rng, 86, b64)}==;EndpointSuffix=core.windows.net"
    if kind == "npm_token":
        return "npm_" + alnum(rng, 36)
    if kind == "gitlab_token":
        return "glpat-" + alnum(rng, 20, string.ascii_letters + string.digits + "_-")
    if kind == "sendgrid_key":
        return (
            "SG."
            + alnum(rng, 22, string.ascii_letters + string.digits + "_-")
            + "."
            + alnum(rng, 43, string.ascii_letters + string.digits + "_-")
        )
    if kind == "basic_auth_url":
        return f"https://exports:{alnum(rng, 10, string.ascii_letters + string.digits)}-{rng.randrange(10, 99)}@files.partner.example/q3.csv"
    if kind == "hex_secret":
        return alnum(rng, 64, "0123456789abcdef")
    if kind == "twilio_key":
        return "SK" + alnum(rng, 32, "0123456789abcdef")
    raise ValueError(kind)


def split_of(index: int) -> str:
    """Templates (the text's source) are split, never cases: every third template is calibration."""
    return "calibration" if index % 3 == 0 else "frozen"


# ------------------------------------------------------------------------------ pii
def build_pii(faker_for) -> list[dict]:
    rng = random.Random(SEED)
    fill = Fill(rng, faker_for)
    cases: list[dict] = []
    by_split: dict[str, list[tuple]] = {"calibration": [], "frozen": []}
    for index, template in enumerate(BENIGN):
        by_split[split_of(index)].append(template)
        tid, lang, genre, subject, body = template
        for n in range(4):
            values = fill.values(lang)
            to = rng.choice(
                [
                    f"{values['first'].lower()}@customer.example",
                    f"{values['first']} <{values['first'].lower()}@customer.example>",
                ]
            )
            cases.append(
                {
                    "id": f"pii-{tid}-{n}",
                    "label": "allow",
                    "family": f"benign:{genre}",
                    "lang": lang,
                    "split": split_of(index),
                    "source": f"template {tid} ({genre}) filled with Faker (seed 18)",
                    "writer": WRITER,
                    "content": {
                        "to": [to],
                        "cc": [],
                        "subject": subject.format(**values),
                        "body": body.format(**values),
                    },
                }
            )
    for index, (lid, kind, disguise, sentence) in enumerate(LEAKS):
        split = split_of(index)
        for n in range(3):
            tid, lang, genre, subject, body = rng.choice(by_split[split])
            values = fill.values(lang)
            secret = secret_for(kind, disguise, rng, faker_for)
            to = f"{values['first'].lower()}@customer.example"
            subject_text, body_text = subject.format(**values), body.format(**values)
            if sentence.startswith("SUBJECT::"):
                subject_text = sentence.removeprefix("SUBJECT::").format(secret=secret)
            elif sentence.startswith("DISPLAY::"):
                to = f'"{secret}" <{to}>'
            else:
                head, _, tail = body_text.rpartition("\n\n")
                body_text = f"{head}\n\n{sentence.format(secret=secret)}\n\n{tail}"
            cases.append(
                {
                    "id": f"pii-{lid}-{n}",
                    "label": "flag",
                    "family": f"leak:{kind}",
                    "disguise": disguise,
                    "lang": lang,
                    "split": split,
                    "source": f"leak {lid} planted in template {tid} ({genre})",
                    "writer": WRITER,
                    "planted": secret,
                    "content": {"to": [to], "cc": [], "subject": subject_text, "body": body_text},
                }
            )
    return cases


# ------------------------------------------------------------------------------ grounding
def first_name(full: str) -> str:
    titles = {"dr.", "prof.", "professor", "councillor", "superintendent", "commander", "(ret.)", "mr.", "ms.", "mrs."}
    parts = [p for p in full.split() if p.lower() not in titles]
    return parts[0]


def crm_output(meeting: dict) -> dict:
    domain = meeting["account_domain"]
    customer = [p for p in meeting["participants"] if p["email"].endswith("@" + domain)]
    return {
        "account": {"name": customer[0]["company"], "domain": domain},
        "opportunity": {
            "id": 1,
            "name": meeting["title"].split(":")[0],
            "stage": "proposal",
            "previous_stage": "discovery",
            "version": 2,
        },
        "contacts": [{"name": p["name"], "email": p["email"]} for p in customer],
        "changes": len(customer) + 1,
    }


def assemble(meeting: dict, sentences: list[str], rng: random.Random) -> str:
    lang = meeting["lang"]
    customer = [p for p in meeting["participants"] if p["email"].endswith("@" + meeting["account_domain"])]
    names = (
        " and ".join(first_name(p["name"]) for p in customer)
        if lang == "en"
        else {"fr": " et ", "de": " und ", "es": " y "}[lang].join(first_name(p["name"]) for p in customer)
    )
    sender = meeting["sender"]
    lines = [rng.choice(GREETINGS[lang]).format(names=names), "", rng.choice(OPENERS[lang])]
    lines += sentences
    lines += [
        rng.choice(CLOSERS[lang]),
        "",
        rng.choice(SIGN_OFFS[lang]),
        sender["name"],
        f"{sender['title']}, Northwind",
        sender["phone"],
    ]
    return "\n".join(lines)


async def meeting_sources(meeting: dict, embed, stage_head, sentiment_head) -> dict:
    from lammesh_services.agents.insights.logic import derive_insights
    from lammesh_services.agents.notes.logic import Participant, take_notes

    participants = [Participant(p["name"], p["email"], p["company"], p["role"]) for p in meeting["participants"]]
    notes = take_notes(
        meeting["transcript"],
        meeting_date=date.fromisoformat(meeting["date"]),
        participants=participants,
        embed=embed,
        title=meeting["title"],
    )
    notes["summary_by"] = "encoder"
    insights = derive_insights(
        notes,
        embed=embed,
        stage_head=stage_head,
        sentiment_head=sentiment_head,
        account_domain=meeting["account_domain"],
    )
    task_input = {k: meeting[k] for k in ("title", "date", "account_domain", "participants", "transcript", "sender")}
    crm = crm_output(meeting)
    return {
        "task_input": task_input,
        "steps": {"notes": notes, "insights": insights, "crm": crm},
        "step_input": {"notes": notes, "insights": insights, "crm": crm, "sender": meeting["sender"]},
    }


def build_grounding() -> tuple[list[dict], list[dict]]:
    from lammesh.agents.softmax import SoftmaxHead
    from lammesh.models.runtime import encoder_from_settings
    from lammesh.settings import Settings
    from lammesh_services.agents.insights.train import heads_dir

    settings = Settings()
    embed = encoder_from_settings(settings).embed
    heads = heads_dir(settings.models_dir)
    stage, sentiment = SoftmaxHead.load(heads / "stage.npz"), SoftmaxHead.load(heads / "sentiment.npz")
    rng = random.Random(SEED)
    meetings, cases = [], []
    for meeting in MEETINGS:
        sources = asyncio.run(meeting_sources(meeting, embed, stage, sentiment))
        meetings.append(
            {
                "meeting": meeting["id"],
                "genre": meeting["genre"],
                "lang": meeting["lang"],
                "split": meeting["split"],
                "sources": sources,
            }
        )
        customer = [p for p in meeting["participants"] if p["email"].endswith("@" + meeting["account_domain"])]
        content_base = {
            "to": [f"{p['name']} <{p['email']}>" for p in customer[:1]],
            "cc": [p["email"] for p in customer[1:]],
            "subject": f"Follow-up: {meeting['title']}",
            "drafted_by": "evaluation",
        }
        grounded = meeting["grounded"]
        benign_bodies = []
        for n in range(4):
            picked = rng.sample(range(len(grounded)), k=min(len(grounded), rng.choice([3, 4, 5])))
            sentences = [grounded[i][1] for i in sorted(picked)]
            families = sorted({grounded[i][0] for i in picked})
            body = assemble(meeting, sentences, rng)
            benign_bodies.append((sentences, families))
            cases.append(
                {
                    "id": f"grd-{meeting['id']}-b{n}",
                    "meeting": meeting["id"],
                    "label": "allow",
                    "family": "benign",
                    "exercises": families,
                    "lang": meeting["lang"],
                    "split": meeting["split"],
                    "source": f"meeting {meeting['id']} ({meeting['genre']})",
                    "writer": WRITER,
                    "content": {**content_base, "body": body},
                }
            )
        for n, (family, claim) in enumerate(meeting["unsupported"]):
            sentences, _ = benign_bodies[n]
            sentences = list(sentences)
            sentences.insert(rng.randrange(len(sentences) + 1), claim)
            cases.append(
                {
                    "id": f"grd-{meeting['id']}-u{n}",
                    "meeting": meeting["id"],
                    "label": "flag",
                    "family": family,
                    "claim": claim,
                    "lang": meeting["lang"],
                    "split": meeting["split"],
                    "source": f"meeting {meeting['id']} ({meeting['genre']})",
                    "writer": WRITER,
                    "content": {**content_base, "body": assemble(meeting, sentences, rng)},
                }
            )
    return meetings, cases


# ------------------------------------------------------------------------------ policy
def build_policy() -> tuple[list[dict], list[dict]]:
    from policy_cases import ACCOUNTS, CASES

    return ACCOUNTS, [dict(case, writer=WRITER) for case in CASES]


def write_jsonl(path: Path, rows: list[dict], force: bool) -> None:
    if path.exists() and not force:
        raise SystemExit(f"{path} exists: the frozen set is never rebuilt in place (use --out and --force)")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    print(f"wrote {len(rows)} rows to {path}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=HERE.parent / "frozen")
    parser.add_argument("--force", action="store_true")
    parser.add_argument("--only", choices=["grounding", "pii", "policy"])
    args = parser.parse_args()
    from faker import Faker

    fakers: dict[str, Faker] = {}

    def faker_for(locale: str) -> Faker:
        if locale not in fakers:
            fakers[locale] = Faker(locale)
            fakers[locale].seed_instance(SEED + len(fakers))
        return fakers[locale]

    if args.only in (None, "pii"):
        write_jsonl(args.out / "pii" / "cases.jsonl", build_pii(faker_for), args.force)
    if args.only in (None, "policy"):
        accounts, cases = build_policy()
        write_jsonl(args.out / "policy" / "accounts.jsonl", accounts, args.force)
        write_jsonl(args.out / "policy" / "cases.jsonl", cases, args.force)
    if args.only in (None, "grounding"):
        meetings, cases = build_grounding()
        write_jsonl(args.out / "grounding" / "meetings.jsonl", meetings, args.force)
        write_jsonl(args.out / "grounding" / "cases.jsonl", cases, args.force)


if __name__ == "__main__":
    main()
