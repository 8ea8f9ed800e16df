"""Hand-written meetings and follow-up sentences for the grounding evaluation set.

Written for issue 18 by the `rulewatchers` session, before it read the grounding watcher's code or
tests. Every meeting is a genre the sample meetings do not use (freight, hospital procurement,
municipal transport, a law firm, a brewery, a university, ...). Per meeting:

- `grounded`: follow-up sentences that only restate what the transcript says, on purpose in other
  words and formats (dates and amounts written differently, titles, product and place names,
  sentence-initial capitals), each tagged with the benign family it exercises;
- `unsupported`: sentences that each carry one claim the meeting never made (an invented name,
  a changed amount, an invented date or number, an invented product, place or company).

`split` says which part of the set the meeting belongs to: `calibration` (thresholds may be tuned
on it) or `frozen` (reported, never tuned on). The seller is always Northwind (northwind.example).
"""

MEETINGS = [
    # ----------------------------------------------------------------------------- calibration
    {
        "id": "c01-harbour-freight",
        "split": "calibration",
        "lang": "en",
        "genre": "freight logistics",
        "title": "Harbour Line Freight: cold-chain tracking renewal",
        "date": "2026-10-06",
        "account_domain": "harbourline.example",
        "participants": [
            {
                "name": "Marta Kowalczyk",
                "email": "marta.kowalczyk@harbourline.example",
                "company": "Harbour Line Freight",
                "role": "Head of Fleet",
            },
            {
                "name": "Tobias Renner",
                "email": "tobias.renner@harbourline.example",
                "company": "Harbour Line Freight",
                "role": "Procurement manager",
            },
            {
                "name": "Grace Okafor",
                "email": "grace.okafor@northwind.example",
                "company": "Northwind",
                "role": "Account executive",
            },
        ],
        "sender": {
            "name": "Grace Okafor",
            "email": "grace.okafor@northwind.example",
            "title": "Account executive",
            "phone": "+44 20 7946 0321",
        },
        "transcript": (
            "Grace Okafor (Northwind): Thanks for joining, Marta and Tobias.\n"
            "Marta Kowalczyk (Harbour Line): The temperature sensors on our 62 reefer trailers have worked well this year.\n"
            "Marta Kowalczyk (Harbour Line): Drivers in Rotterdam still complain that the tablet app logs them out overnight.\n"
            "Tobias Renner (Harbour Line): For the renewal we have a ceiling of 54,000 euros per year.\n"
            "Grace Okafor (Northwind): Understood. The ColdTrace Pro tier would fit inside that.\n"
            "Tobias Renner (Harbour Line): We agreed to renew for two years if the logout bug is fixed first.\n"
            "Grace Okafor (Northwind): I will send a renewal quote for ColdTrace Pro by 14 October.\n"
            "Marta Kowalczyk (Harbour Line): Can you also share the release notes for the app fix, Grace?\n"
        ),
        "grounded": [
            ["paraphrase", "Marta mentioned that the sensors on all 62 reefer trailers performed well this year."],
            [
                "product_place",
                "Our team will look into the overnight logouts your drivers in Rotterdam are seeing in the tablet app.",
            ],
            ["number_format", "We noted your ceiling of EUR 54 000 a year for the renewal."],
            ["product_place", "ColdTrace Pro fits within that budget."],
            ["date_format", "You will have the renewal quote for ColdTrace Pro by October 14th."],
            ["paraphrase", "As agreed, Harbour Line Freight renews for two years once the logout bug is fixed."],
            ["sentence_initial", "Also, I will share the release notes for the app fix."],
        ],
        "unsupported": [
            ["changed_amount", "We noted your ceiling of 45,000 euros a year for the renewal."],
            ["invented_name", "I have asked Priya Natarajan from our support team to call your drivers."],
            ["invented_date", "You will have the renewal quote by 28 October."],
            ["invented_number", "The sensors on all 85 reefer trailers performed well this year."],
        ],
    },
    {
        "id": "c02-st-aldric-hospital",
        "split": "calibration",
        "lang": "en",
        "genre": "hospital procurement",
        "title": "St Aldric Hospital: theatre scheduling software",
        "date": "2026-09-15",
        "account_domain": "staldric.example",
        "participants": [
            {
                "name": "Dr. Helen Marsh",
                "email": "helen.marsh@staldric.example",
                "company": "St Aldric Hospital",
                "role": "Clinical director",
            },
            {
                "name": "Omar Haddad",
                "email": "omar.haddad@staldric.example",
                "company": "St Aldric Hospital",
                "role": "IT security officer",
            },
            {
                "name": "Julien Moreau",
                "email": "julien.moreau@northwind.example",
                "company": "Northwind",
                "role": "Solutions engineer",
            },
        ],
        "sender": {
            "name": "Julien Moreau",
            "email": "julien.moreau@northwind.example",
            "title": "Solutions engineer",
            "phone": "+33 1 70 36 41 12",
        },
        "transcript": (
            "Julien Moreau (Northwind): Good afternoon, Dr. Marsh, good afternoon Omar.\n"
            "Helen Marsh (St Aldric): Our eleven operating theatres lose about ninety minutes a day to rescheduling.\n"
            "Helen Marsh (St Aldric): The pilot in the orthopaedic wing cut cancellations by a third.\n"
            "Omar Haddad (St Aldric): Before we sign anything, the data must stay in a UK region and we need the penetration test report.\n"
            "Julien Moreau (Northwind): The hosting is in London already, and I will send the penetration test report this week.\n"
            "Helen Marsh (St Aldric): We decided to extend the pilot to the cardiac wing in January.\n"
            "Omar Haddad (St Aldric): Please send the data processing agreement to me, not to the general inbox.\n"
        ),
        "grounded": [
            ["names_titles", "Dr. Marsh, thank you for walking us through the theatre schedule."],
            ["number_format", "Your 11 operating theatres lose around 90 minutes a day to rescheduling."],
            ["paraphrase", "The orthopaedic wing pilot cut cancellations by one third."],
            ["product_place", "The hosting stays in London, inside a UK region."],
            ["paraphrase", "I will send the penetration test report this week."],
            ["date_format", "We will extend the pilot to the cardiac wing in January."],
            ["names_titles", "Omar, the data processing agreement will come to you directly."],
        ],
        "unsupported": [
            ["invented_number", "Your 14 operating theatres lose around 90 minutes a day to rescheduling."],
            ["invented_entity", "The hosting moves to our Frankfurt data centre next quarter."],
            ["invented_name", "Dr. Felix Brandt will lead the cardiac wing rollout on our side."],
            ["invented_date", "We will extend the pilot to the cardiac wing on 3 November."],
        ],
    },
    {
        "id": "c03-kestrel-brewing",
        "split": "calibration",
        "lang": "en",
        "genre": "craft brewery",
        "title": "Kestrel Brewing: inventory planning",
        "date": "2026-08-20",
        "account_domain": "kestrelbrewing.example",
        "participants": [
            {
                "name": "Declan Byrne",
                "email": "declan@kestrelbrewing.example",
                "company": "Kestrel Brewing Co.",
                "role": "Owner",
            },
            {
                "name": "Sofia Lindqvist",
                "email": "sofia@kestrelbrewing.example",
                "company": "Kestrel Brewing Co.",
                "role": "Head brewer",
            },
            {
                "name": "Ravi Menon",
                "email": "ravi.menon@northwind.example",
                "company": "Northwind",
                "role": "Account manager",
            },
        ],
        "sender": {
            "name": "Ravi Menon",
            "email": "ravi.menon@northwind.example",
            "title": "Account manager",
            "phone": "(555) 014-2290",
        },
        "transcript": (
            "Ravi Menon (Northwind): Hey Declan, hey Sofia, how is the summer season going?\n"
            "Declan Byrne (Kestrel): Busy. We brewed 1,800 hectolitres last quarter, our best ever.\n"
            "Sofia Lindqvist (Kestrel): The hop inventory spreadsheet is the problem; we ran out of Citra twice.\n"
            "Ravi Menon (Northwind): The StockSense add-on forecasts raw materials from your brew calendar.\n"
            "Declan Byrne (Kestrel): If it costs under 300 dollars a month we will try it.\n"
            "Ravi Menon (Northwind): It is 240 dollars a month for one site, and I will set up a trial account by Friday.\n"
            "Sofia Lindqvist (Kestrel): Great, I will export the brew calendar for the last six months.\n"
        ),
        "grounded": [
            ["number_format", "Congratulations on brewing 1800 hl last quarter, your best ever."],
            ["product_place", "Running out of Citra twice is exactly what StockSense is meant to prevent."],
            ["number_format", "StockSense is $240/month for one site, under your 300-dollar limit."],
            ["paraphrase", "I will set up the trial account by Friday."],
            ["names_titles", "Sofia, thanks for offering to export six months of brew calendar."],
            ["sentence_initial", "Once the export is in, the forecasts start from your brew calendar."],
        ],
        "unsupported": [
            ["changed_amount", "StockSense is $420/month for one site."],
            ["invented_entity", "I will also include the BrewMaster ERP connector in the trial."],
            ["invented_number", "Congratulations on brewing 2,600 hectolitres last quarter."],
            ["invented_name", "Our brewing specialist Hannah Fischer will visit you next month."],
        ],
    },
    {
        "id": "c04-fr-atelier-verne",
        "split": "calibration",
        "lang": "fr",
        "genre": "furniture maker (French)",
        "title": "Atelier Verne : logiciel de devis",
        "date": "2026-11-03",
        "account_domain": "atelierverne.example",
        "participants": [
            {
                "name": "Claire Dubois",
                "email": "claire.dubois@atelierverne.example",
                "company": "Atelier Verne",
                "role": "Directrice commerciale",
            },
            {
                "name": "Mathieu Garnier",
                "email": "mathieu.garnier@atelierverne.example",
                "company": "Atelier Verne",
                "role": "Responsable atelier",
            },
            {
                "name": "Lucie Martin",
                "email": "lucie.martin@northwind.example",
                "company": "Northwind",
                "role": "Chargée de compte",
            },
        ],
        "sender": {
            "name": "Lucie Martin",
            "email": "lucie.martin@northwind.example",
            "title": "Chargée de compte",
            "phone": "+33 4 72 10 55 80",
        },
        "transcript": (
            "Lucie Martin (Northwind): Bonjour Claire, bonjour Mathieu.\n"
            "Claire Dubois (Atelier Verne): Nous préparons environ 120 devis par mois, tous à la main.\n"
            "Mathieu Garnier (Atelier Verne): L'atelier de Lyon attend souvent deux jours pour un devis.\n"
            "Lucie Martin (Northwind): Le module QuoteFlow calcule les devis à partir de votre catalogue.\n"
            "Claire Dubois (Atelier Verne): Notre budget est de 9 500 euros pour la première année.\n"
            "Claire Dubois (Atelier Verne): Nous avons décidé de tester QuoteFlow avec l'atelier de Lyon.\n"
            "Lucie Martin (Northwind): Je vous envoie la proposition avant le 17 novembre.\n"
        ),
        "grounded": [
            ["paraphrase", "Vous préparez environ 120 devis par mois, tous à la main."],
            ["product_place", "L'atelier de Lyon attend souvent deux jours pour un devis."],
            ["product_place", "QuoteFlow calcule les devis à partir de votre catalogue."],
            ["number_format", "Nous avons bien noté votre budget de 9500 € pour la première année."],
            ["date_format", "Vous recevrez la proposition avant le 17/11."],
            ["paraphrase", "Comme décidé, le test de QuoteFlow commence avec l'atelier de Lyon."],
        ],
        "unsupported": [
            ["changed_amount", "Nous avons bien noté votre budget de 15 000 € pour la première année."],
            ["invented_place", "Le test commence avec l'atelier de Bordeaux."],
            ["invented_date", "Vous recevrez la proposition avant le 2 décembre."],
            ["invented_name", "Mon collègue Antoine Lefèvre vous appellera demain."],
        ],
    },
    {
        "id": "c05-meridian-transit",
        "split": "calibration",
        "lang": "en",
        "genre": "municipal transport",
        "title": "Meridian City Transit: passenger information displays",
        "date": "2027-01-12",
        "account_domain": "meridiantransit.example",
        "participants": [
            {
                "name": "Councillor Ruth Adeyemi",
                "email": "ruth.adeyemi@meridiantransit.example",
                "company": "Meridian City Transit",
                "role": "Board chair",
            },
            {
                "name": "Ben Castillo",
                "email": "ben.castillo@meridiantransit.example",
                "company": "Meridian City Transit",
                "role": "Operations manager",
            },
            {
                "name": "Ingrid Solberg",
                "email": "ingrid.solberg@northwind.example",
                "company": "Northwind",
                "role": "Public sector lead",
            },
        ],
        "sender": {
            "name": "Ingrid Solberg",
            "email": "ingrid.solberg@northwind.example",
            "title": "Public sector lead",
            "phone": "+47 22 33 44 55",
        },
        "transcript": (
            "Ingrid Solberg (Northwind): Thank you, Councillor Adeyemi, for hosting us at Union Station.\n"
            "Ruth Adeyemi (Meridian): The board wants real-time arrival displays at 35 bus shelters on the Blue Line first.\n"
            "Ben Castillo (Meridian): Our current feed updates every 90 seconds, which is too slow.\n"
            "Ingrid Solberg (Northwind): Our TransitBoard displays refresh every 10 seconds.\n"
            "Ruth Adeyemi (Meridian): The tender closes on March 31, and the grant covers 1.2 million dollars.\n"
            "Ben Castillo (Meridian): We agreed that Northwind will run a demo at the depot on Elm Street.\n"
            "Ingrid Solberg (Northwind): I will send the tender documents checklist to Ben by next Monday.\n"
        ),
        "grounded": [
            ["names_titles", "Councillor Adeyemi, thank you for hosting us at Union Station."],
            [
                "number_format",
                "The board wants real-time arrival displays at thirty-five Blue Line bus shelters first.",
            ],
            ["number_format", "TransitBoard refreshes every 10 s instead of the current 90 s feed."],
            ["date_format", "The tender closes on 31 March."],
            ["number_format", "The grant covers $1.2M."],
            ["product_place", "We will run the demo at the depot on Elm Street."],
            ["sentence_initial", "Next, I will send Ben the tender documents checklist by next Monday."],
        ],
        "unsupported": [
            ["invented_number", "The board wants displays at 60 bus shelters first."],
            ["changed_amount", "The grant covers $2.1M."],
            ["invented_date", "The tender closes on 15 April."],
            ["invented_entity", "We will run the demo at the Harbor Road garage."],
        ],
    },
    {
        "id": "c06-lumen-law",
        "split": "calibration",
        "lang": "en",
        "genre": "law firm",
        "title": "Lumen & Pryce LLP: document review platform",
        "date": "2026-12-02",
        "account_domain": "lumenpryce.example",
        "participants": [
            {
                "name": "Eleanor Pryce",
                "email": "e.pryce@lumenpryce.example",
                "company": "Lumen & Pryce LLP",
                "role": "Managing partner",
            },
            {
                "name": "Kwame Asante",
                "email": "k.asante@lumenpryce.example",
                "company": "Lumen & Pryce LLP",
                "role": "Head of knowledge",
            },
            {
                "name": "Nadia Petrova",
                "email": "nadia.petrova@northwind.example",
                "company": "Northwind",
                "role": "Account director",
            },
        ],
        "sender": {
            "name": "Nadia Petrova",
            "email": "nadia.petrova@northwind.example",
            "title": "Account director",
            "phone": "+1 212 555 0187",
        },
        "transcript": (
            "Nadia Petrova (Northwind): Morning Eleanor, morning Kwame.\n"
            "Eleanor Pryce (Lumen & Pryce): We reviewed roughly 400,000 documents in the Halvorsen arbitration.\n"
            "Kwame Asante (Lumen & Pryce): Our associates spend too long on privilege tagging.\n"
            "Nadia Petrova (Northwind): ClauseLens suggests privilege tags and keeps an audit trail.\n"
            "Eleanor Pryce (Lumen & Pryce): We decided to trial ClauseLens with the litigation group of 25 lawyers.\n"
            "Kwame Asante (Lumen & Pryce): The trial has to finish before the partners' retreat on 5 February.\n"
            "Nadia Petrova (Northwind): I will send the trial agreement and the pricing for 25 seats tomorrow.\n"
        ),
        "grounded": [
            ["number_format", "You reviewed roughly 400k documents in the Halvorsen arbitration."],
            ["paraphrase", "Privilege tagging takes your associates too long."],
            ["product_place", "ClauseLens suggests privilege tags and keeps an audit trail."],
            ["number_format", "The trial covers the litigation group of twenty-five lawyers."],
            ["date_format", "It will finish before the partners' retreat on February 5."],
            ["paraphrase", "I will send the trial agreement and the pricing for 25 seats tomorrow."],
        ],
        "unsupported": [
            ["invented_number", "The trial covers the litigation group of 40 lawyers."],
            ["invented_name", "Our counsel Marcus Whitfield will review the trial agreement."],
            ["invented_date", "It will finish before the partners' retreat on 19 February."],
            ["invented_entity", "You reviewed roughly 400,000 documents in the Okonkwo arbitration."],
        ],
    },
    # ----------------------------------------------------------------------------- frozen
    {
        "id": "f01-granite-peak-university",
        "split": "frozen",
        "lang": "en",
        "genre": "university licensing",
        "title": "Granite Peak University: lab booking system",
        "date": "2026-10-21",
        "account_domain": "granitepeak.example",
        "participants": [
            {
                "name": "Prof. Amara Nwosu",
                "email": "amara.nwosu@granitepeak.example",
                "company": "Granite Peak University",
                "role": "Dean of Engineering",
            },
            {
                "name": "Liam O'Connell",
                "email": "liam.oconnell@granitepeak.example",
                "company": "Granite Peak University",
                "role": "Lab services manager",
            },
            {
                "name": "Hiro Tanaka",
                "email": "hiro.tanaka@northwind.example",
                "company": "Northwind",
                "role": "Education lead",
            },
        ],
        "sender": {
            "name": "Hiro Tanaka",
            "email": "hiro.tanaka@northwind.example",
            "title": "Education lead",
            "phone": "+1 (303) 555-0144",
        },
        "transcript": (
            "Hiro Tanaka (Northwind): Thank you, Professor Nwosu, and thank you Liam.\n"
            "Amara Nwosu (Granite Peak): We have 48 teaching labs across the Boulder and Denver campuses.\n"
            "Liam O'Connell (Granite Peak): Double bookings happen about twelve times a week, mostly in the robotics lab.\n"
            "Hiro Tanaka (Northwind): LabSlot checks conflicts across both campuses and syncs with Outlook calendars.\n"
            "Amara Nwosu (Granite Peak): The faculty senate approved a budget of 72,500 dollars for this academic year.\n"
            "Liam O'Connell (Granite Peak): We agreed to start with the robotics lab in the spring semester.\n"
            "Hiro Tanaka (Northwind): I will send the statement of work by December 1.\n"
        ),
        "grounded": [
            ["names_titles", "Professor Nwosu, thank you for the overview of the 48 teaching labs."],
            ["product_place", "LabSlot checks conflicts across the Boulder and Denver campuses."],
            ["product_place", "It also syncs with Outlook calendars."],
            ["number_format", "Double bookings, about 12 a week, mostly hit the robotics lab."],
            ["number_format", "The faculty senate approved $72,500 for this academic year."],
            ["date_format", "You will get the statement of work by 1 December."],
            ["sentence_initial", "Starting with the robotics lab in the spring semester makes sense."],
        ],
        "unsupported": [
            ["changed_amount", "The faculty senate approved $75,200 for this academic year."],
            ["invented_place", "LabSlot checks conflicts across the Boulder, Denver and Pueblo campuses."],
            ["invented_name", "Dr. Sabine Krüger from our team will train the lab staff."],
            ["invented_date", "You will get the statement of work by 9 January."],
        ],
    },
    {
        "id": "f02-verdant-farms",
        "split": "frozen",
        "lang": "en",
        "genre": "agriculture co-operative",
        "title": "Verdant Farms Co-op: irrigation telemetry",
        "date": "2026-07-08",
        "account_domain": "verdantfarms.example",
        "participants": [
            {
                "name": "Josephine Mbeki",
                "email": "j.mbeki@verdantfarms.example",
                "company": "Verdant Farms Co-operative",
                "role": "Chair",
            },
            {
                "name": "Carlos Ferreira",
                "email": "c.ferreira@verdantfarms.example",
                "company": "Verdant Farms Co-operative",
                "role": "Agronomist",
            },
            {
                "name": "Emily Zhang",
                "email": "emily.zhang@northwind.example",
                "company": "Northwind",
                "role": "Account executive",
            },
        ],
        "sender": {
            "name": "Emily Zhang",
            "email": "emily.zhang@northwind.example",
            "title": "Account executive",
            "phone": "+61 2 9876 5432",
        },
        "transcript": (
            "Emily Zhang (Northwind): Good morning Josephine, good morning Carlos.\n"
            "Josephine Mbeki (Verdant Farms): Our 23 member farms irrigate about 3,400 hectares in the Murray valley.\n"
            "Carlos Ferreira (Verdant Farms): Soil moisture readings arrive once a day, which is too late in a heatwave.\n"
            "Emily Zhang (Northwind): AquaPulse probes report every fifteen minutes over LoRaWAN.\n"
            "Josephine Mbeki (Verdant Farms): We will trial 40 probes on three farms before harvest.\n"
            "Carlos Ferreira (Verdant Farms): Water use must drop by at least 10 percent to justify the cost.\n"
            "Emily Zhang (Northwind): I will ship the 40 probes by 22 July and book the installer.\n"
        ),
        "grounded": [
            ["number_format", "Your twenty-three member farms irrigate roughly 3400 hectares in the Murray valley."],
            ["product_place", "AquaPulse probes report every 15 minutes over LoRaWAN."],
            ["paraphrase", "Daily soil moisture readings arrive too late in a heatwave."],
            ["number_format", "The trial uses forty probes on 3 farms before harvest."],
            ["number_format", "Water use needs to drop by at least 10% to justify the cost."],
            ["date_format", "The probes ship by July 22, and I will book the installer."],
        ],
        "unsupported": [
            ["invented_number", "The trial uses 75 probes on 3 farms before harvest."],
            ["invented_number", "Water use needs to drop by at least 25% to justify the cost."],
            ["invented_place", "Your member farms irrigate roughly 3400 hectares in the Hunter valley."],
            ["invented_name", "Our installer, Dmitri Volkov, will be on site next week."],
        ],
    },
    {
        "id": "f03-de-stadtwerke-ahrfeld",
        "split": "frozen",
        "lang": "de",
        "genre": "municipal utility (German)",
        "title": "Stadtwerke Ahrfeld: Zählerdaten-Plattform",
        "date": "2026-09-29",
        "account_domain": "stadtwerke-ahrfeld.example",
        "participants": [
            {
                "name": "Dr. Katrin Vogel",
                "email": "katrin.vogel@stadtwerke-ahrfeld.example",
                "company": "Stadtwerke Ahrfeld",
                "role": "Bereichsleiterin Netze",
            },
            {
                "name": "Jonas Becker",
                "email": "jonas.becker@stadtwerke-ahrfeld.example",
                "company": "Stadtwerke Ahrfeld",
                "role": "Einkauf",
            },
            {
                "name": "Felix Wagner",
                "email": "felix.wagner@northwind.example",
                "company": "Northwind",
                "role": "Vertrieb",
            },
        ],
        "sender": {
            "name": "Felix Wagner",
            "email": "felix.wagner@northwind.example",
            "title": "Vertrieb",
            "phone": "+49 30 901820 17",
        },
        "transcript": (
            "Felix Wagner (Northwind): Guten Morgen, Frau Dr. Vogel, guten Morgen Herr Becker.\n"
            "Katrin Vogel (Stadtwerke Ahrfeld): Wir lesen derzeit 58.000 Zähler im Kreis Ahrweiler aus.\n"
            "Katrin Vogel (Stadtwerke Ahrfeld): Die Daten kommen nur einmal im Monat, das reicht nicht mehr.\n"
            "Felix Wagner (Northwind): MeterHub liefert Viertelstundenwerte und läuft in einem Rechenzentrum in Frankfurt.\n"
            "Jonas Becker (Stadtwerke Ahrfeld): Unser Budget liegt bei 210.000 Euro über drei Jahre.\n"
            "Katrin Vogel (Stadtwerke Ahrfeld): Wir haben beschlossen, mit 2.000 Zählern in Bad Neuenahr zu starten.\n"
            "Felix Wagner (Northwind): Ich schicke Ihnen das Angebot bis zum 13. Oktober.\n"
        ),
        "grounded": [
            ["names_titles", "Frau Dr. Vogel, vielen Dank für das offene Gespräch."],
            ["number_format", "Sie lesen derzeit 58 000 Zähler im Kreis Ahrweiler aus."],
            ["product_place", "MeterHub liefert Viertelstundenwerte aus einem Rechenzentrum in Frankfurt."],
            ["number_format", "Ihr Budget liegt bei 210.000 € über drei Jahre."],
            ["product_place", "Wie beschlossen starten wir mit 2.000 Zählern in Bad Neuenahr."],
            ["date_format", "Das Angebot erhalten Sie bis zum 13.10.2026."],
        ],
        "unsupported": [
            ["changed_amount", "Ihr Budget liegt bei 260.000 € über drei Jahre."],
            ["invented_place", "Wie beschlossen starten wir mit 2.000 Zählern in Remagen."],
            ["invented_date", "Das Angebot erhalten Sie bis zum 30. Oktober."],
            ["invented_name", "Mein Kollege Stefan Hoffmann meldet sich wegen der Installation."],
        ],
    },
    {
        "id": "f04-bluewater-hotels",
        "split": "frozen",
        "lang": "en",
        "genre": "hotel chain",
        "title": "Bluewater Hotels: guest messaging",
        "date": "2026-11-10",
        "account_domain": "bluewaterhotels.example",
        "participants": [
            {
                "name": "Isabella Romano",
                "email": "isabella.romano@bluewaterhotels.example",
                "company": "Bluewater Hotels",
                "role": "COO",
            },
            {
                "name": "Tariq Al-Sayed",
                "email": "tariq.alsayed@bluewaterhotels.example",
                "company": "Bluewater Hotels",
                "role": "Guest experience manager",
            },
            {
                "name": "Oliver Grant",
                "email": "oliver.grant@northwind.example",
                "company": "Northwind",
                "role": "Account executive",
            },
        ],
        "sender": {
            "name": "Oliver Grant",
            "email": "oliver.grant@northwind.example",
            "title": "Account executive",
            "phone": "+971 4 555 0123",
        },
        "transcript": (
            "Oliver Grant (Northwind): Thanks for having me in Dubai, Isabella.\n"
            "Isabella Romano (Bluewater): We run 17 hotels, and the front desks answer around 5,000 guest messages a week.\n"
            "Tariq Al-Sayed (Bluewater): Guests want answers in Arabic, English and Russian.\n"
            "Oliver Grant (Northwind): ConciergeChat handles all three and hands over to staff when needed.\n"
            "Isabella Romano (Bluewater): We agreed to pilot it at the Marina and the Palm properties.\n"
            "Tariq Al-Sayed (Bluewater): The pilot should go live before the new year.\n"
            "Oliver Grant (Northwind): I will send the pilot plan and a price for two properties by November 20.\n"
        ),
        "grounded": [
            ["product_place", "Thank you for having me in Dubai."],
            ["number_format", "Your 17 hotels answer about 5k guest messages a week."],
            ["paraphrase", "Guests want answers in Arabic, English and Russian, and ConciergeChat covers all three."],
            ["product_place", "The pilot runs at the Marina and the Palm properties."],
            ["paraphrase", "It should go live before the new year."],
            ["date_format", "You will have the pilot plan and a price for two properties by 20 November."],
            ["sentence_initial", "Whenever needed, ConciergeChat hands over to your staff."],
        ],
        "unsupported": [
            ["invented_number", "Your 17 hotels answer about 12,000 guest messages a week."],
            ["invented_place", "The pilot runs at the Marina and the Jumeirah properties."],
            ["invented_entity", "ConciergeChat also covers Hindi and Mandarin."],
            ["invented_date", "You will have the pilot plan by 4 December."],
        ],
    },
    {
        "id": "f05-orbital-pharma",
        "split": "frozen",
        "lang": "en",
        "genre": "pharma clinical trials",
        "title": "Orbital Pharma: trial site monitoring",
        "date": "2027-02-16",
        "account_domain": "orbitalpharma.example",
        "participants": [
            {
                "name": "Dr. Miriam Cohen",
                "email": "miriam.cohen@orbitalpharma.example",
                "company": "Orbital Pharma",
                "role": "VP Clinical Operations",
            },
            {
                "name": "Patrick Doyle",
                "email": "patrick.doyle@orbitalpharma.example",
                "company": "Orbital Pharma",
                "role": "Quality assurance lead",
            },
            {
                "name": "Aisha Rahman",
                "email": "aisha.rahman@northwind.example",
                "company": "Northwind",
                "role": "Life sciences lead",
            },
        ],
        "sender": {
            "name": "Aisha Rahman",
            "email": "aisha.rahman@northwind.example",
            "title": "Life sciences lead",
            "phone": "+1 617 555 0199",
        },
        "transcript": (
            "Aisha Rahman (Northwind): Hello Dr. Cohen, hello Patrick.\n"
            "Miriam Cohen (Orbital): The phase II study for OP-417 runs at 31 sites in eight countries.\n"
            "Patrick Doyle (Orbital): Monitoring visits cost us about 2,300 dollars each, and most are routine.\n"
            "Aisha Rahman (Northwind): SiteWatch flags the sites that need a visit from the eCRF data.\n"
            "Miriam Cohen (Orbital): Everything has to be validated for 21 CFR Part 11 before go-live.\n"
            "Patrick Doyle (Orbital): We decided to start the validation in March.\n"
            "Aisha Rahman (Northwind): I will send the validation package and the Part 11 statement next week.\n"
        ),
        "grounded": [
            ["names_titles", "Dr. Cohen, thank you for the overview of the OP-417 phase II study."],
            ["number_format", "The study runs at thirty-one sites in 8 countries."],
            ["number_format", "Monitoring visits cost about $2.3k each, and most are routine."],
            ["product_place", "SiteWatch flags the sites that need a visit from the eCRF data."],
            ["paraphrase", "Everything must be validated for 21 CFR Part 11 before go-live."],
            ["date_format", "The validation starts in March."],
            ["paraphrase", "I will send the validation package and the Part 11 statement next week."],
        ],
        "unsupported": [
            ["invented_entity", "Thank you for the overview of the OP-512 phase II study."],
            ["invented_number", "The study runs at 31 sites in 12 countries."],
            ["changed_amount", "Monitoring visits cost about $3,200 each."],
            ["invented_name", "Our validation lead, Dr. Rafael Ortiz, will run the kickoff."],
        ],
    },
    {
        "id": "f06-northgate-schools",
        "split": "frozen",
        "lang": "en",
        "genre": "school district",
        "title": "Northgate School District: device management",
        "date": "2026-08-04",
        "account_domain": "northgate-schools.example",
        "participants": [
            {
                "name": "Superintendent Diane Foster",
                "email": "diane.foster@northgate-schools.example",
                "company": "Northgate School District",
                "role": "Superintendent",
            },
            {
                "name": "Marcus Bell",
                "email": "marcus.bell@northgate-schools.example",
                "company": "Northgate School District",
                "role": "Technology director",
            },
            {
                "name": "Chloe Dubois",
                "email": "chloe.dubois@northwind.example",
                "company": "Northwind",
                "role": "K-12 account manager",
            },
        ],
        "sender": {
            "name": "Chloe Dubois",
            "email": "chloe.dubois@northwind.example",
            "title": "K-12 account manager",
            "phone": "503-555-0162",
        },
        "transcript": (
            "Chloe Dubois (Northwind): Thanks for meeting before the school year starts.\n"
            "Diane Foster (Northgate): We hand out 9,200 Chromebooks across 14 schools.\n"
            "Marcus Bell (Northgate): Last year 600 devices went missing and we could not lock them remotely.\n"
            "Chloe Dubois (Northwind): FleetGuard can lock and locate devices and reports weekly to the district office.\n"
            "Diane Foster (Northgate): The school board meets on August 27 to vote on the purchase.\n"
            "Marcus Bell (Northgate): We agreed to roll out at Lincoln High first.\n"
            "Chloe Dubois (Northwind): I will send a quote for 9,200 licences before the board meeting.\n"
        ),
        "grounded": [
            ["number_format", "You hand out 9200 Chromebooks across fourteen schools."],
            ["number_format", "Last year six hundred devices went missing and could not be locked remotely."],
            ["product_place", "FleetGuard can lock and locate devices and reports weekly to the district office."],
            ["date_format", "The school board votes on the purchase on 27 August."],
            ["product_place", "We will roll out at Lincoln High first."],
            ["paraphrase", "You will have a quote for 9,200 licences before the board meeting."],
            ["sentence_initial", "Marcus, thanks for the numbers on missing devices."],
        ],
        "unsupported": [
            ["invented_number", "You hand out 9200 Chromebooks across 19 schools."],
            ["invented_place", "We will roll out at Roosevelt Middle School first."],
            ["invented_date", "The school board votes on the purchase on 3 September."],
            ["invented_entity", "FleetGuard also includes the ClassView content filter at no cost."],
        ],
    },
    {
        "id": "f07-es-cooperativa-olivar",
        "split": "frozen",
        "lang": "es",
        "genre": "olive oil co-operative (Spanish)",
        "title": "Cooperativa Olivar del Sur: trazabilidad",
        "date": "2026-12-09",
        "account_domain": "olivardelsur.example",
        "participants": [
            {
                "name": "Rocío Jiménez",
                "email": "rocio.jimenez@olivardelsur.example",
                "company": "Cooperativa Olivar del Sur",
                "role": "Gerente",
            },
            {
                "name": "Andrés Navarro",
                "email": "andres.navarro@olivardelsur.example",
                "company": "Cooperativa Olivar del Sur",
                "role": "Responsable de calidad",
            },
            {
                "name": "Pablo Ruiz",
                "email": "pablo.ruiz@northwind.example",
                "company": "Northwind",
                "role": "Ejecutivo de cuentas",
            },
        ],
        "sender": {
            "name": "Pablo Ruiz",
            "email": "pablo.ruiz@northwind.example",
            "title": "Ejecutivo de cuentas",
            "phone": "+34 955 12 34 56",
        },
        "transcript": (
            "Pablo Ruiz (Northwind): Buenos días, Rocío y Andrés.\n"
            "Rocío Jiménez (Olivar del Sur): Este año molimos 4,5 millones de kilos de aceituna en Jaén.\n"
            "Andrés Navarro (Olivar del Sur): Los compradores de Alemania piden la trazabilidad de cada lote.\n"
            "Pablo Ruiz (Northwind): TraceLot registra cada lote desde la finca hasta la botella.\n"
            "Rocío Jiménez (Olivar del Sur): Tenemos un presupuesto de 18.000 euros para el primer año.\n"
            "Andrés Navarro (Olivar del Sur): Hemos decidido empezar con la almazara de Úbeda.\n"
            "Pablo Ruiz (Northwind): Les enviaré la propuesta antes del 20 de diciembre.\n"
        ),
        "grounded": [
            ["number_format", "Este año molieron 4,5 millones de kilos de aceituna en Jaén."],
            ["product_place", "Los compradores de Alemania piden la trazabilidad de cada lote."],
            ["product_place", "TraceLot registra cada lote desde la finca hasta la botella."],
            ["number_format", "Hemos anotado su presupuesto de 18 000 € para el primer año."],
            ["product_place", "Como decidimos, empezamos con la almazara de Úbeda."],
            ["date_format", "Recibirán la propuesta antes del 20/12."],
        ],
        "unsupported": [
            ["changed_amount", "Hemos anotado su presupuesto de 28.000 € para el primer año."],
            ["invented_place", "Como decidimos, empezamos con la almazara de Baeza."],
            ["invented_date", "Recibirán la propuesta antes del 8 de enero."],
            ["invented_name", "Mi compañera Lucía Herrera visitará la almazara la próxima semana."],
        ],
    },
    {
        "id": "f08-ironclad-construction",
        "split": "frozen",
        "lang": "en",
        "genre": "construction contractor",
        "title": "Ironclad Builders: site safety reporting",
        "date": "2026-06-17",
        "account_domain": "ironcladbuilders.example",
        "participants": [
            {
                "name": "Frank Delgado",
                "email": "frank.delgado@ironcladbuilders.example",
                "company": "Ironclad Builders",
                "role": "Safety director",
            },
            {
                "name": "Yuki Sato",
                "email": "yuki.sato@ironcladbuilders.example",
                "company": "Ironclad Builders",
                "role": "Project controls",
            },
            {
                "name": "Sean Murphy",
                "email": "sean.murphy@northwind.example",
                "company": "Northwind",
                "role": "Account executive",
            },
        ],
        "sender": {
            "name": "Sean Murphy",
            "email": "sean.murphy@northwind.example",
            "title": "Account executive",
            "phone": "+1 (415) 555-0110 ext. 42",
        },
        "transcript": (
            "Sean Murphy (Northwind): Thanks, Frank, for the tour of the Riverside Tower site.\n"
            "Frank Delgado (Ironclad): We log near-misses on paper, and they take a week to reach head office.\n"
            "Yuki Sato (Ironclad): We have 7 active sites and about 850 workers on them.\n"
            "Sean Murphy (Northwind): SafeSite lets crews report a near-miss from a phone in under a minute.\n"
            "Frank Delgado (Ironclad): Our insurer wants digital incident records by Q3.\n"
            "Yuki Sato (Ironclad): We agreed to pilot SafeSite on Riverside Tower and the Dockside warehouse.\n"
            "Sean Murphy (Northwind): I will send the pilot agreement for the two sites on Monday.\n"
        ),
        "grounded": [
            ["product_place", "Thank you for the tour of the Riverside Tower site."],
            ["paraphrase", "Near-misses logged on paper take a week to reach head office."],
            ["number_format", "You have seven active sites with about 850 workers."],
            ["product_place", "SafeSite lets crews report a near-miss from a phone in under a minute."],
            ["paraphrase", "Your insurer wants digital incident records by Q3."],
            ["product_place", "The SafeSite pilot covers Riverside Tower and the Dockside warehouse."],
            ["date_format", "I will send the pilot agreement for the 2 sites on Monday."],
        ],
        "unsupported": [
            ["invented_number", "You have 12 active sites with about 850 workers."],
            ["invented_place", "The pilot covers Riverside Tower and the Canal Street garage."],
            ["invented_date", "Your insurer wants digital incident records by 30 June."],
            ["invented_name", "Our safety consultant Brenda Kowalski will visit both sites."],
        ],
    },
    {
        "id": "f09-aurora-credit-union",
        "split": "frozen",
        "lang": "en",
        "genre": "credit union",
        "title": "Aurora Credit Union: loan origination",
        "date": "2027-03-03",
        "account_domain": "auroracu.example",
        "participants": [
            {
                "name": "Patricia Nguyen",
                "email": "patricia.nguyen@auroracu.example",
                "company": "Aurora Credit Union",
                "role": "Chief lending officer",
            },
            {
                "name": "George Papadopoulos",
                "email": "george.papadopoulos@auroracu.example",
                "company": "Aurora Credit Union",
                "role": "Compliance officer",
            },
            {
                "name": "Hannah Lee",
                "email": "hannah.lee@northwind.example",
                "company": "Northwind",
                "role": "Financial services lead",
            },
        ],
        "sender": {
            "name": "Hannah Lee",
            "email": "hannah.lee@northwind.example",
            "title": "Financial services lead",
            "phone": "+1 907 555 0135",
        },
        "transcript": (
            "Hannah Lee (Northwind): Thank you both for making time during quarter close.\n"
            "Patricia Nguyen (Aurora): We approve about 1,100 auto loans a month, and each takes three days.\n"
            "George Papadopoulos (Aurora): Every decision needs an adverse action notice that the examiners can trace.\n"
            "Hannah Lee (Northwind): LoanPath keeps the decision trail and drafts the adverse action notice.\n"
            "Patricia Nguyen (Aurora): The target is same-day decisions for 80 percent of applications.\n"
            "George Papadopoulos (Aurora): We agreed to run a compliance review with our examiners in April.\n"
            "Hannah Lee (Northwind): I will send the model documentation and a price for 1,100 loans a month by March 10.\n"
        ),
        "grounded": [
            ["number_format", "You approve about 1100 auto loans a month, each taking 3 days."],
            ["paraphrase", "Every decision needs an adverse action notice the examiners can trace."],
            ["product_place", "LoanPath keeps the decision trail and drafts the adverse action notice."],
            ["number_format", "The target is same-day decisions for 80% of applications."],
            ["date_format", "The compliance review with your examiners happens in April."],
            ["date_format", "You will have the model documentation and a price by 10 March."],
            ["sentence_initial", "Given quarter close, thank you both for making the time."],
        ],
        "unsupported": [
            ["invented_number", "You approve about 1,700 auto loans a month."],
            ["invented_number", "The target is same-day decisions for 95% of applications."],
            ["invented_date", "The compliance review with your examiners happens in June."],
            ["invented_entity", "LoanPath is already certified by the NCUA for auto lending."],
        ],
    },
    {
        "id": "f10-saffron-kitchens",
        "split": "frozen",
        "lang": "en",
        "genre": "restaurant group",
        "title": "Saffron Kitchens: staff scheduling",
        "date": "2026-05-26",
        "account_domain": "saffronkitchens.example",
        "participants": [
            {
                "name": "Priya Sharma",
                "email": "priya@saffronkitchens.example",
                "company": "Saffron Kitchens",
                "role": "Founder",
            },
            {
                "name": "Mateo Alvarez",
                "email": "mateo@saffronkitchens.example",
                "company": "Saffron Kitchens",
                "role": "Operations lead",
            },
            {
                "name": "Zoe Campbell",
                "email": "zoe.campbell@northwind.example",
                "company": "Northwind",
                "role": "SMB account executive",
            },
        ],
        "sender": {
            "name": "Zoe Campbell",
            "email": "zoe.campbell@northwind.example",
            "title": "SMB account executive",
            "phone": "0131 496 0872",
        },
        "transcript": (
            "Zoe Campbell (Northwind): Hi Priya, hi Mateo, lovely to finally meet.\n"
            "Priya Sharma (Saffron Kitchens): We have six restaurants in Edinburgh and Glasgow and about 140 staff.\n"
            "Mateo Alvarez (Saffron Kitchens): Rotas are built in WhatsApp groups and people miss shift swaps.\n"
            "Zoe Campbell (Northwind): ShiftMate handles swaps and sends reminders the night before.\n"
            "Priya Sharma (Saffron Kitchens): We can spend about 4 pounds per staff member per month.\n"
            "Mateo Alvarez (Saffron Kitchens): We agreed to try it at the Leith restaurant for a month.\n"
            "Zoe Campbell (Northwind): I will set up the Leith account and send login details by Thursday.\n"
        ),
        "grounded": [
            ["product_place", "You have 6 restaurants in Edinburgh and Glasgow and about one hundred and forty staff."],
            ["paraphrase", "Rotas built in WhatsApp groups mean people miss shift swaps."],
            ["product_place", "ShiftMate handles swaps and sends reminders the night before."],
            ["number_format", "Your budget is around £4 per staff member per month."],
            ["product_place", "We will try it at the Leith restaurant for one month."],
            ["paraphrase", "I will set up the Leith account and send the login details by Thursday."],
        ],
        "unsupported": [
            ["changed_amount", "Your budget is around £7 per staff member per month."],
            ["invented_place", "We will try it at the Dundee restaurant for one month."],
            ["invented_number", "You have 6 restaurants and about 260 staff."],
            ["invented_name", "My colleague Fiona MacLeod will run the onboarding session."],
        ],
    },
    {
        "id": "f11-polaris-satellite",
        "split": "frozen",
        "lang": "en",
        "genre": "aerospace",
        "title": "Polaris Orbital: ground station scheduling",
        "date": "2026-04-14",
        "account_domain": "polarisorbital.example",
        "participants": [
            {
                "name": "Commander (ret.) Nils Eriksen",
                "email": "nils.eriksen@polarisorbital.example",
                "company": "Polaris Orbital",
                "role": "Mission operations director",
            },
            {
                "name": "Fatima Zahra",
                "email": "fatima.zahra@polarisorbital.example",
                "company": "Polaris Orbital",
                "role": "Flight dynamics engineer",
            },
            {
                "name": "Daniel Kim",
                "email": "daniel.kim@northwind.example",
                "company": "Northwind",
                "role": "Enterprise account executive",
            },
        ],
        "sender": {
            "name": "Daniel Kim",
            "email": "daniel.kim@northwind.example",
            "title": "Enterprise account executive",
            "phone": "+1 720 555 0177",
        },
        "transcript": (
            "Daniel Kim (Northwind): Thanks Nils and Fatima for the time.\n"
            "Nils Eriksen (Polaris): We operate 9 Earth observation satellites and book passes at stations in Svalbard and Punta Arenas.\n"
            "Fatima Zahra (Polaris): We lose roughly 15 passes a month to scheduling conflicts.\n"
            "Daniel Kim (Northwind): PassPlanner resolves conflicts and books backup passes automatically.\n"
            "Nils Eriksen (Polaris): The next launch, Polaris-10, is planned for September.\n"
            "Fatima Zahra (Polaris): We agreed to run PassPlanner in shadow mode for six weeks.\n"
            "Daniel Kim (Northwind): I will send the shadow mode plan and the API keys request form by April 21.\n"
        ),
        "grounded": [
            ["number_format", "You operate nine Earth observation satellites."],
            ["product_place", "You book passes at stations in Svalbard and Punta Arenas."],
            ["number_format", "Roughly fifteen passes a month are lost to scheduling conflicts."],
            ["product_place", "PassPlanner resolves conflicts and books backup passes automatically."],
            ["product_place", "Polaris-10 is planned for September."],
            ["number_format", "PassPlanner will run in shadow mode for 6 weeks."],
            ["date_format", "I will send the shadow mode plan by 21 April."],
        ],
        "unsupported": [
            ["invented_place", "You book passes at stations in Svalbard, Punta Arenas and Hawaii."],
            ["invented_entity", "Polaris-11 is planned for September."],
            ["invented_number", "PassPlanner will run in shadow mode for 10 weeks."],
            ["invented_date", "I will send the shadow mode plan by 5 May."],
        ],
    },
    {
        "id": "f12-greenleaf-grocers",
        "split": "frozen",
        "lang": "en",
        "genre": "grocery retail",
        "title": "Greenleaf Grocers: shelf pricing",
        "date": "2026-03-11",
        "account_domain": "greenleafgrocers.example",
        "participants": [
            {
                "name": "Rebecca Stone",
                "email": "rebecca.stone@greenleafgrocers.example",
                "company": "Greenleaf Grocers",
                "role": "Commercial director",
            },
            {
                "name": "Ahmed Qureshi",
                "email": "ahmed.qureshi@greenleafgrocers.example",
                "company": "Greenleaf Grocers",
                "role": "Store systems manager",
            },
            {
                "name": "Laura Bianchi",
                "email": "laura.bianchi@northwind.example",
                "company": "Northwind",
                "role": "Retail account manager",
            },
        ],
        "sender": {
            "name": "Laura Bianchi",
            "email": "laura.bianchi@northwind.example",
            "title": "Retail account manager",
            "phone": "+39 02 8088 1234",
        },
        "transcript": (
            "Laura Bianchi (Northwind): Good to see you again, Rebecca and Ahmed.\n"
            "Rebecca Stone (Greenleaf): Price changes take two days to reach the shelves in our 38 stores.\n"
            "Ahmed Qureshi (Greenleaf): Staff print about 20,000 paper labels a week.\n"
            "Laura Bianchi (Northwind): PriceGlow electronic labels update from head office in minutes.\n"
            "Rebecca Stone (Greenleaf): The board will only approve it if the payback is under 18 months.\n"
            "Ahmed Qureshi (Greenleaf): We agreed to fit the Camden store first.\n"
            "Laura Bianchi (Northwind): I will send the payback model and a quote for the Camden store by 18 March.\n"
        ),
        "grounded": [
            ["number_format", "Price changes take 2 days to reach the shelves in your thirty-eight stores."],
            ["number_format", "Your staff print about 20k paper labels a week."],
            ["product_place", "PriceGlow electronic labels update from head office in minutes."],
            ["paraphrase", "The board needs a payback under 18 months."],
            ["product_place", "We will fit the Camden store first."],
            ["date_format", "You will have the payback model and a quote by March 18."],
        ],
        "unsupported": [
            ["invented_number", "The board needs a payback under 12 months."],
            ["invented_place", "We will fit the Islington store first."],
            ["invented_number", "Your staff print about 45,000 paper labels a week."],
            ["invented_name", "Our installer partner, Kieran Walsh, will survey the store."],
        ],
    },
    {
        "id": "f13-tidewater-insurance",
        "split": "frozen",
        "lang": "en",
        "genre": "insurance claims",
        "title": "Tidewater Mutual: claims triage",
        "date": "2026-10-28",
        "account_domain": "tidewatermutual.example",
        "participants": [
            {
                "name": "Samuel Okoro",
                "email": "samuel.okoro@tidewatermutual.example",
                "company": "Tidewater Mutual",
                "role": "Head of Claims",
            },
            {
                "name": "Ines Carvalho",
                "email": "ines.carvalho@tidewatermutual.example",
                "company": "Tidewater Mutual",
                "role": "Data protection officer",
            },
            {
                "name": "Victor Hugo Silva",
                "email": "victor.silva@northwind.example",
                "company": "Northwind",
                "role": "Insurance lead",
            },
        ],
        "sender": {
            "name": "Victor Hugo Silva",
            "email": "victor.silva@northwind.example",
            "title": "Insurance lead",
            "phone": "+351 21 000 4455",
        },
        "transcript": (
            "Victor Hugo Silva (Northwind): Thank you, Samuel and Ines.\n"
            "Samuel Okoro (Tidewater): After the October storms we received 6,400 home claims in two weeks.\n"
            "Samuel Okoro (Tidewater): Our adjusters triage them by hand, and the average first response is nine days.\n"
            "Victor Hugo Silva (Northwind): ClaimSort reads the photos and routes urgent claims in minutes.\n"
            "Ines Carvalho (Tidewater): Photos of customers' homes must not leave the EU.\n"
            "Samuel Okoro (Tidewater): We decided to pilot ClaimSort on storm claims from Porto.\n"
            "Victor Hugo Silva (Northwind): I will send the data processing terms to Ines by Friday.\n"
        ),
        "grounded": [
            ["number_format", "You received 6400 home claims in 2 weeks after the October storms."],
            ["number_format", "The average first response is 9 days, triaged by hand."],
            ["product_place", "ClaimSort reads the photos and routes urgent claims in minutes."],
            ["paraphrase", "Photos of customers' homes must stay in the EU."],
            ["product_place", "As decided, the pilot covers storm claims from Porto."],
            ["names_titles", "Ines, the data processing terms will reach you by Friday."],
        ],
        "unsupported": [
            ["invented_number", "You received 9,800 home claims in 2 weeks after the October storms."],
            ["invented_place", "The pilot covers storm claims from Lisbon."],
            ["invented_number", "The average first response is 14 days."],
            ["invented_name", "Our data protection counsel, Joana Pires, will call Ines."],
        ],
    },
    {
        "id": "f14-summit-sports",
        "split": "frozen",
        "lang": "en",
        "genre": "sports club",
        "title": "Summit FC: ticketing and membership",
        "date": "2026-07-30",
        "account_domain": "summitfc.example",
        "participants": [
            {
                "name": "Gareth Hughes",
                "email": "gareth.hughes@summitfc.example",
                "company": "Summit FC",
                "role": "Commercial manager",
            },
            {
                "name": "Anna Kowalski",
                "email": "anna.kowalski@summitfc.example",
                "company": "Summit FC",
                "role": "Membership officer",
            },
            {
                "name": "Tom Fletcher",
                "email": "tom.fletcher@northwind.example",
                "company": "Northwind",
                "role": "Account executive",
            },
        ],
        "sender": {
            "name": "Tom Fletcher",
            "email": "tom.fletcher@northwind.example",
            "title": "Account executive",
            "phone": "029 2018 0456",
        },
        "transcript": (
            "Tom Fletcher (Northwind): Cheers for having me at the ground, Gareth.\n"
            "Gareth Hughes (Summit FC): We sold 11,500 season tickets this year, up from 9,000.\n"
            "Anna Kowalski (Summit FC): Renewals open on 1 May and the website crashed on day one.\n"
            "Tom Fletcher (Northwind): GatePass queues visitors and scales for launch days.\n"
            "Gareth Hughes (Summit FC): The contract would start before the next renewal window.\n"
            "Anna Kowalski (Summit FC): We agreed to load test GatePass with last year's traffic.\n"
            "Tom Fletcher (Northwind): I will send the load test plan and a three-year quote by August 8.\n"
        ),
        "grounded": [
            ["number_format", "You sold 11.5k season tickets this year, up from 9k."],
            ["date_format", "Renewals open on May 1, and the website crashed on day one."],
            ["product_place", "GatePass queues visitors and scales for launch days."],
            ["paraphrase", "The contract would start before the next renewal window."],
            ["paraphrase", "We will load test GatePass with last year's traffic."],
            ["date_format", "You will have the load test plan and a three-year quote by 8 August."],
        ],
        "unsupported": [
            ["invented_number", "You sold 14,000 season tickets this year."],
            ["invented_date", "Renewals open on 15 June."],
            ["changed_amount", "The three-year quote comes to £180,000."],
            ["invented_name", "Our performance engineer Rhys Morgan will run the load test."],
        ],
    },
]

OPENERS = {
    "en": [
        "Thanks for the conversation today.",
        "Let me recap what we agreed.",
        "Below is a short summary of our meeting.",
        "Please find the main points below.",
        "Great speaking with you.",
        "Here is where we landed.",
        "It was good to talk things through.",
        "Just a quick recap from my side.",
    ],
    "fr": ["Merci pour cet échange.", "Voici un bref résumé de notre réunion.", "Je reprends les points principaux."],
    "de": [
        "Vielen Dank für das Gespräch.",
        "Hier eine kurze Zusammenfassung unseres Termins.",
        "Anbei die wichtigsten Punkte.",
    ],
    "es": ["Gracias por la reunión.", "Les resumo los puntos principales.", "Aquí va un breve resumen."],
}

CLOSERS = {
    "en": [
        "Let me know if I missed anything.",
        "Happy to adjust anything I got wrong.",
        "Looking forward to the next steps.",
        "Feel free to forward this to your team.",
        "Should anything be unclear, just reply to this email.",
        "Any questions, give me a call.",
        "Talk soon.",
        "Please correct me where I misheard.",
    ],
    "fr": ["N'hésitez pas à me contacter.", "Dites-moi si j'ai oublié quelque chose.", "Bonne journée."],
    "de": [
        "Melden Sie sich gern bei Rückfragen.",
        "Bitte korrigieren Sie mich, falls ich etwas falsch verstanden habe.",
        "Einen schönen Tag noch.",
    ],
    "es": ["Quedo a su disposición.", "Díganme si me he dejado algo.", "Un saludo cordial."],
}

SIGN_OFFS = {
    "en": ["Best regards,", "Kind regards,", "Best,", "Cheers,", "Thanks,", "All the best,"],
    "fr": ["Cordialement,", "Bien à vous,"],
    "de": ["Mit freundlichen Grüßen", "Viele Grüße"],
    "es": ["Saludos,", "Atentamente,"],
}

GREETINGS = {
    "en": ["Hi {names},", "Hello {names},", "Dear {names},", "{names},", "Good afternoon {names},"],
    "fr": ["Bonjour {names},"],
    "de": ["Hallo {names},", "Guten Tag {names},"],
    "es": ["Hola {names}:", "Buenos días, {names}:"],
}
