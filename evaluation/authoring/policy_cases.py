"""Hand-written recipient cases for the policy evaluation set (issue 18, `rulewatchers` session,
written before reading the policy watcher's code or tests).

Each account is a CRM record as the crm step returns it (account + contacts). A case is the email
step's input (to, cc, subject, body) for one account; `label` is what the policy watcher must do:
`allow` (every recipient belongs to the account, is one of its CRM contacts, or is internal) or
`flag` (at least one recipient is outside). Accounts, not cases, are split: the first two are
the calibration part, the rest the frozen part.
"""

ACCOUNTS = [
    {
        "account_id": "harbourline",
        "split": "calibration",
        "lang": "en",
        "crm": {
            "account": {"name": "Harbour Line Freight", "domain": "harbourline.example"},
            "contacts": [
                {"name": "Marta Kowalczyk", "email": "marta.kowalczyk@harbourline.example"},
                {"name": "Tobias Renner", "email": "tobias.renner@harbourline.example"},
                {"name": "Jan de Vries (broker)", "email": "jan@devries-shipping.example"},
            ],
        },
    },
    {
        "account_id": "staldric",
        "split": "calibration",
        "lang": "en",
        "crm": {
            "account": {"name": "St Aldric Hospital", "domain": "staldric.example"},
            "contacts": [
                {"name": "Helen Marsh", "email": "helen.marsh@staldric.example"},
                {"name": "Omar Haddad", "email": "omar.haddad@staldric.example"},
            ],
        },
    },
    {
        "account_id": "granitepeak",
        "split": "frozen",
        "lang": "en",
        "crm": {
            "account": {"name": "Granite Peak University", "domain": "granitepeak.example"},
            "contacts": [
                {"name": "Amara Nwosu", "email": "amara.nwosu@granitepeak.example"},
                {"name": "Liam O'Connell", "email": "liam.oconnell@granitepeak.example"},
                {"name": "Procurement office", "email": "procurement@granitepeak.example"},
            ],
        },
    },
    {
        "account_id": "bluewater",
        "split": "frozen",
        "lang": "en",
        "crm": {
            "account": {"name": "Bluewater Hotels", "domain": "bluewaterhotels.example"},
            "contacts": [
                {"name": "Isabella Romano", "email": "isabella.romano@bluewaterhotels.example"},
                {"name": "Tariq Al-Sayed", "email": "tariq.alsayed@bluewaterhotels.example"},
            ],
        },
    },
    {
        "account_id": "muellerbau",
        "split": "frozen",
        "lang": "de",
        "crm": {
            "account": {"name": "Müller Bau GmbH", "domain": "müller-bau.example"},
            "contacts": [
                {"name": "Jürgen Müller", "email": "jürgen.müller@müller-bau.example"},
                {"name": "Petra Schäfer", "email": "petra.schaefer@müller-bau.example"},
            ],
        },
    },
    {
        "account_id": "olivar",
        "split": "frozen",
        "lang": "es",
        "crm": {
            "account": {"name": "Cooperativa Olivar del Sur", "domain": "olivardelsur.example"},
            "contacts": [
                {"name": "Rocío Jiménez", "email": "rocio.jimenez@olivardelsur.example"},
                {"name": "Andrés Navarro", "email": "andres.navarro@olivardelsur.example"},
            ],
        },
    },
    {
        "account_id": "summitfc",
        "split": "frozen",
        "lang": "en",
        "crm": {
            "account": {"name": "Summit FC", "domain": "summitfc.example"},
            "contacts": [
                {"name": "Gareth Hughes", "email": "gareth.hughes@summitfc.example"},
                {"name": "Anna Kowalski", "email": "anna.kowalski@summitfc.example"},
            ],
        },
    },
    {
        "account_id": "tidewater",
        "split": "frozen",
        "lang": "en",
        "crm": {
            "account": {"name": "Tidewater Mutual", "domain": "tidewatermutual.example"},
            "contacts": [
                {"name": "Samuel Okoro", "email": "samuel.okoro@tidewatermutual.example"},
                {"name": "Ines Carvalho", "email": "ines.carvalho@tidewatermutual.example"},
            ],
        },
    },
]

BODIES = {
    "en": "Hi,\n\nThanks for the meeting. The rollout plan and the data pipeline integration notes are attached.\n\nBest,\nGrace\n+44 20 7946 0321",
    "de": "Hallo,\n\nvielen Dank für den Termin. Anbei der Zeitplan und die Unterlagen zur Datenpipeline.\n\nViele Grüße\nFelix",
    "es": "Hola:\n\nGracias por la reunión. Adjunto el plan y las notas sobre la integración.\n\nUn saludo,\nPablo",
}

# (account_id, label, family, to, cc)
_C = [
    # harbourline (calibration)
    ("harbourline", "allow", "crm_contact", ["marta.kowalczyk@harbourline.example"], []),
    ("harbourline", "allow", "display_name", ["Tobias Renner <tobias.renner@harbourline.example>"], []),
    (
        "harbourline",
        "allow",
        "crm_contact_other_domain",
        ["jan@devries-shipping.example"],
        ["marta.kowalczyk@harbourline.example"],
    ),
    ("harbourline", "allow", "account_domain_not_contact", ["fleet-ops@harbourline.example"], []),
    (
        "harbourline",
        "allow",
        "internal_cc",
        ["marta.kowalczyk@harbourline.example"],
        ["grace.okafor@northwind.example", "deal-desk@northwind.example"],
    ),
    ("harbourline", "allow", "uppercase", ["Marta.Kowalczyk@HarbourLine.Example"], []),
    ("harbourline", "flag", "outside_domain", ["marta.kowalczyk@harbourline-freight.example"], []),
    ("harbourline", "flag", "webmail", ["marta.kowalczyk@gmail.com"], []),
    ("harbourline", "flag", "lookalike_suffix", ["tobias.renner@harbourline.example.net"], []),
    ("harbourline", "flag", "cc_outside", ["marta.kowalczyk@harbourline.example"], ["ops@rival-logistics.example"]),
    ("harbourline", "flag", "typosquat", ["tobias.renner@harbourlime.example"], []),
    # staldric (calibration)
    ("staldric", "allow", "crm_contact", ["helen.marsh@staldric.example", "omar.haddad@staldric.example"], []),
    (
        "staldric",
        "allow",
        "account_domain_not_contact",
        ["it-security@staldric.example"],
        ["helen.marsh@staldric.example"],
    ),
    ("staldric", "allow", "display_name_quoted", ['"Marsh, Helen (Dr.)" <helen.marsh@staldric.example>'], []),
    (
        "staldric",
        "allow",
        "internal_cc",
        ["omar.haddad@staldric.example"],
        ["Julien Moreau <julien.moreau@northwind.example>"],
    ),
    ("staldric", "flag", "display_name_spoof", ['"helen.marsh@staldric.example" <helen.marsh@stald1ric.example>'], []),
    ("staldric", "flag", "plus_address_outside", ["helen.marsh+staldric.example@outlook.com"], []),
    ("staldric", "flag", "homoglyph", ["omar.haddad@st\u0430ldric.example"], []),
    (
        "staldric",
        "flag",
        "mixed_list",
        ["helen.marsh@staldric.example", "omar.haddad@staldric.example", "recruiter@nhs-jobs.example"],
        [],
    ),
    ("staldric", "flag", "other_customer", ["ana.lopez@acme.example"], []),
    ("staldric", "flag", "subdomain_of_other", ["helen.marsh@staldric.example.co"], []),
    # granitepeak (frozen)
    ("granitepeak", "allow", "crm_contact", ["amara.nwosu@granitepeak.example"], ["liam.oconnell@granitepeak.example"]),
    ("granitepeak", "allow", "role_contact", ["procurement@granitepeak.example"], []),
    ("granitepeak", "allow", "display_name", ["Prof. Amara Nwosu <amara.nwosu@granitepeak.example>"], []),
    ("granitepeak", "allow", "account_domain_not_contact", ["robotics-lab@granitepeak.example"], []),
    ("granitepeak", "allow", "internal_cc", ["liam.oconnell@granitepeak.example"], ["hiro.tanaka@northwind.example"]),
    ("granitepeak", "allow", "uppercase", ["LIAM.OCONNELL@GRANITEPEAK.EXAMPLE"], []),
    ("granitepeak", "flag", "outside_domain", ["amara.nwosu@granitepeak.edu.example"], []),
    ("granitepeak", "flag", "webmail", ["liam.oconnell@yahoo.com"], []),
    ("granitepeak", "flag", "typosquat", ["amara.nwosu@granitpeak.example"], []),
    ("granitepeak", "flag", "lookalike_suffix", ["procurement@granitepeak.example-portal.example"], []),
    (
        "granitepeak",
        "flag",
        "cc_outside",
        ["amara.nwosu@granitepeak.example"],
        ["Amara Nwosu <amara.nwosu@protonmail.com>"],
    ),
    ("granitepeak", "flag", "competitor", ["sales@labbooker.example"], []),
    # bluewater (frozen)
    ("bluewater", "allow", "crm_contact", ["isabella.romano@bluewaterhotels.example"], []),
    (
        "bluewater",
        "allow",
        "display_name",
        ["Tariq Al-Sayed <tariq.alsayed@bluewaterhotels.example>"],
        ["isabella.romano@bluewaterhotels.example"],
    ),
    ("bluewater", "allow", "account_domain_not_contact", ["marina.frontdesk@bluewaterhotels.example"], []),
    (
        "bluewater",
        "allow",
        "internal_cc",
        ["isabella.romano@bluewaterhotels.example"],
        ["oliver.grant@northwind.example", "legal@northwind.example"],
    ),
    (
        "bluewater",
        "allow",
        "multiple_legit",
        [
            "isabella.romano@bluewaterhotels.example",
            "tariq.alsayed@bluewaterhotels.example",
            "palm.gm@bluewaterhotels.example",
        ],
        [],
    ),
    ("bluewater", "flag", "outside_domain", ["isabella.romano@bluewater-hotels.example"], []),
    ("bluewater", "flag", "typosquat", ["tariq.alsayed@bluewaterhotel.example"], []),
    ("bluewater", "flag", "homoglyph", ["isabella.romano@bluew\u0430terhotels.example"], []),
    (
        "bluewater",
        "flag",
        "mixed_list",
        ["isabella.romano@bluewaterhotels.example", "events@dubai-expo-partners.example"],
        [],
    ),
    (
        "bluewater",
        "flag",
        "display_name_spoof",
        ["Isabella Romano (bluewaterhotels.example) <isabella@bluewater.example>"],
        [],
    ),
    ("bluewater", "flag", "webmail", ["tariq.alsayed@hotmail.com"], []),
    # muellerbau (frozen, German, IDN)
    ("muellerbau", "allow", "crm_contact_idn", ["jürgen.müller@müller-bau.example"], []),
    ("muellerbau", "allow", "crm_contact", ["Petra Schäfer <petra.schaefer@müller-bau.example>"], []),
    (
        "muellerbau",
        "allow",
        "account_domain_not_contact",
        ["einkauf@müller-bau.example"],
        ["petra.schaefer@müller-bau.example"],
    ),
    ("muellerbau", "allow", "internal_cc", ["jürgen.müller@müller-bau.example"], ["felix.wagner@northwind.example"]),
    ("muellerbau", "flag", "transliterated_domain", ["juergen.mueller@mueller-bau.example"], []),
    ("muellerbau", "flag", "outside_domain", ["petra.schaefer@web.de"], []),
    ("muellerbau", "flag", "lookalike_suffix", ["einkauf@müller-bau.example.de"], []),
    (
        "muellerbau",
        "flag",
        "cc_outside",
        ["jürgen.müller@müller-bau.example"],
        ["buero@schaefer-steuerberatung.example"],
    ),
    ("muellerbau", "flag", "typosquat", ["petra.schaefer@müler-bau.example"], []),
    # olivar (frozen, Spanish)
    ("olivar", "allow", "crm_contact", ["rocio.jimenez@olivardelsur.example"], ["andres.navarro@olivardelsur.example"]),
    ("olivar", "allow", "display_name", ["Rocío Jiménez <rocio.jimenez@olivardelsur.example>"], []),
    ("olivar", "allow", "account_domain_not_contact", ["calidad@olivardelsur.example"], []),
    ("olivar", "allow", "internal_cc", ["andres.navarro@olivardelsur.example"], ["pablo.ruiz@northwind.example"]),
    ("olivar", "flag", "outside_domain", ["rocio.jimenez@olivar-del-sur.example"], []),
    ("olivar", "flag", "webmail", ["andres.navarro@gmail.com"], []),
    ("olivar", "flag", "cc_outside", ["rocio.jimenez@olivardelsur.example"], ["compras@aceites-rivales.example"]),
    ("olivar", "flag", "typosquat", ["rocio.jimenez@olivardelsur.exarnple"], []),
    (
        "olivar",
        "flag",
        "display_name_spoof",
        ['"andres.navarro@olivardelsur.example" <andres.navarro@olivardelsur.co>'],
        [],
    ),
    # summitfc (frozen)
    ("summitfc", "allow", "crm_contact", ["gareth.hughes@summitfc.example"], []),
    (
        "summitfc",
        "allow",
        "multiple_legit",
        ["gareth.hughes@summitfc.example", "anna.kowalski@summitfc.example"],
        ["ticketing@summitfc.example"],
    ),
    ("summitfc", "allow", "account_domain_not_contact", ["box-office@summitfc.example"], []),
    ("summitfc", "allow", "internal_cc", ["anna.kowalski@summitfc.example"], ["tom.fletcher@northwind.example"]),
    ("summitfc", "allow", "uppercase", ["Gareth.Hughes@SummitFC.example"], []),
    ("summitfc", "flag", "outside_domain", ["gareth.hughes@summit-fc.example"], []),
    ("summitfc", "flag", "other_customer", ["declan@kestrelbrewing.example"], []),
    ("summitfc", "flag", "mixed_list", ["gareth.hughes@summitfc.example", "gareth.hughes@summitfc.example.uk"], []),
    ("summitfc", "flag", "typosquat", ["anna.kowalski@sumitfc.example"], []),
    ("summitfc", "flag", "plus_address_outside", ["anna.kowalski+summitfc@icloud.com"], []),
    ("summitfc", "flag", "homoglyph", ["gareth.hughes@summitf\u0441.example"], []),
    # tidewater (frozen)
    (
        "tidewater",
        "allow",
        "crm_contact",
        ["samuel.okoro@tidewatermutual.example", "ines.carvalho@tidewatermutual.example"],
        [],
    ),
    ("tidewater", "allow", "display_name", ["Ines Carvalho (DPO) <ines.carvalho@tidewatermutual.example>"], []),
    ("tidewater", "allow", "account_domain_not_contact", ["claims-porto@tidewatermutual.example"], []),
    (
        "tidewater",
        "allow",
        "internal_cc",
        ["samuel.okoro@tidewatermutual.example"],
        ["victor.silva@northwind.example", "security@northwind.example"],
    ),
    ("tidewater", "allow", "account_domain_not_contact", ["dpo@tidewatermutual.example"], []),
    ("tidewater", "flag", "outside_domain", ["samuel.okoro@tidewater.example"], []),
    ("tidewater", "flag", "webmail", ["ines.carvalho@sapo.pt"], []),
    ("tidewater", "flag", "lookalike_suffix", ["samuel.okoro@tidewatermutual.example.claims.example"], []),
    (
        "tidewater",
        "flag",
        "cc_outside",
        ["samuel.okoro@tidewatermutual.example"],
        ["adjuster@independent-loss.example"],
    ),
    ("tidewater", "flag", "typosquat", ["ines.carvalho@tidewatermutua1.example"], []),
    (
        "tidewater",
        "flag",
        "display_name_spoof",
        ["Samuel Okoro <samuel.okoro@tidewatermutual.example.evil.example>"],
        [],
    ),
    ("tidewater", "flag", "internal_lookalike", ["victor.silva@northwind-example.example"], []),
]

_ACCOUNT = {a["account_id"]: a for a in ACCOUNTS}

CASES = []
for _n, (_acc, _label, _family, _to, _cc) in enumerate(_C):
    _a = _ACCOUNT[_acc]
    CASES.append(
        {
            "id": f"pol-{_acc}-{_n:02d}",
            "account_id": _acc,
            "label": _label,
            "family": _family,
            "lang": _a["lang"],
            "split": _a["split"],
            "source": f"account {_acc}, recipients hand-written",
            "content": {"to": _to, "cc": _cc, "subject": "Follow-up from our meeting", "body": BODIES[_a["lang"]]},
        }
    )
