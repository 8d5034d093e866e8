"""Seed a fresh database with realistic data, by bulk inserts through peewee.

10,000 activated accounts (each with consents, an activation e-mail and audit events),
15,000 companies, each with an administrator, plus extra members; some live sessions.
Every seeded account shares one cheap argon2id hash; the benchmark user, whose log-in is
measured, has a real one (argon2-cffi's defaults: 64 MiB, t=3, p=4).
"""

import random
from datetime import timedelta

from argon2 import PasswordHasher

from konto.db import database
from konto.models import AccessRequest
from konto.models import AuditEvent
from konto.models import Company
from konto.models import Consent
from konto.models import Email
from konto.models import Membership
from konto.models import User
from konto.models import UserSession
from konto.models import utcnow

BENCH_EMAIL = "bench@example.pl"
BENCH_PASSWORD = "benchmark-hasło-do-pomiaru"
BENCH_COMPANIES = 4  # the benchmark user's own companies (administrator of each)

FIRST = ["Anna", "Piotr", "Katarzyna", "Tomasz", "Małgorzata", "Paweł", "Agnieszka", "Michał",
         "Ewa", "Krzysztof", "Joanna", "Marcin", "Zofia", "Łukasz", "Barbara", "Grzegorz"]
LAST = ["Nowak", "Kowalski", "Wiśniewska", "Wójcik", "Kowalczyk", "Kamiński", "Lewandowska",
        "Zieliński", "Szymańska", "Woźniak", "Dąbrowski", "Kozłowska", "Jankowski", "Mazur"]
CITIES = [("Warszawa", "00-950", "mazowieckie"), ("Kraków", "30-001", "małopolskie"),
          ("Łódź", "90-001", "łódzkie"), ("Wrocław", "50-001", "dolnośląskie"),
          ("Poznań", "60-001", "wielkopolskie"), ("Gdańsk", "80-001", "pomorskie"),
          ("Szczecin", "70-001", "zachodniopomorskie"), ("Lublin", "20-001", "lubelskie")]
STREETS = ["Marszałkowska", "Długa", "Polna", "Leśna", "Słoneczna", "Krótka", "Szkolna", "Ogrodowa"]
FORMS = [("legal_person", "spółka z ograniczoną odpowiedzialnością", "Sp. z o.o."),
         ("legal_person", "spółka akcyjna", "S.A."),
         ("sole_proprietor", "osoba fizyczna prowadząca działalność gospodarczą", ""),
         ("civil_partnership", "spółka cywilna", "s.c.")]
WORDS = ["Bud", "Tech", "Pol", "Trans", "Med", "Agro", "Inter", "Eko", "Net", "Sys", "Hand", "Serwis"]
NIP_WEIGHTS = (6, 5, 7, 2, 3, 4, 5, 6, 7)


def nip(rng, taken):
    """A random NIP with a valid checksum, not one of the demo registry's (which end in 0-padded serials)."""
    while True:
        digits = [rng.randint(1, 9)] + [rng.randint(0, 9) for _ in range(8)]
        check = sum(w * d for w, d in zip(NIP_WEIGHTS, digits, strict=True)) % 11
        if check == 10:
            continue
        number = "".join(map(str, digits)) + str(check)
        if number not in taken and number[3:6] != "000":
            taken.add(number)
            return number


def _bulk(model, rows, batch=500):
    for start in range(0, len(rows), batch):
        model.insert_many(rows[start : start + batch]).execute()


def seed(accounts=10_000, companies=15_000, seed_value=6):
    """Fill the (empty, migrated) database bound to konto.db.database; return the benchmark user's ids."""
    rng = random.Random(seed_value)
    now = utcnow()
    cheap = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1).hash("seeded-account-password")
    real = PasswordHasher().hash(BENCH_PASSWORD)

    with database.atomic():
        users = []
        for i in range(accounts):
            first, last = rng.choice(FIRST), rng.choice(LAST)
            created = now - timedelta(days=rng.randint(1, 900), minutes=rng.randint(0, 1440))
            users.append({
                "email": BENCH_EMAIL if i == 0 else f"{first.lower()}.{last.lower()}.{i}@example.pl",
                "first_name": first,
                "last_name": last,
                "password_hash": real if i == 0 else cheap,
                "activated_at": created + timedelta(minutes=rng.randint(1, 600)),
                "created_at": created,
                "last_login_at": now - timedelta(days=rng.randint(0, 60)),
            })
        _bulk(User, users)
        user_ids = [u.id for u in User.select(User.id).order_by(User.id)]
        bench_user_id = user_ids[0]

        taken = set()
        rows = []
        for _ in range(companies):
            kind, legal_form, suffix = rng.choice(FORMS)
            city, postal, region = rng.choice(CITIES)
            name = f"{rng.choice(WORDS)}{rng.choice(WORDS).lower()} {rng.choice(LAST)}"
            number = nip(rng, taken)
            rows.append({
                "tax_id": "PL" + number, "country": "PL", "nip": number,
                "name": f"{name} {suffix}".strip(), "regon": str(rng.randint(10**8, 10**9 - 1)),
                "krs": f"{rng.randint(1, 999999):010d}" if kind == "legal_person" else None,
                "street": f"ul. {rng.choice(STREETS)}", "building": str(rng.randint(1, 200)),
                "unit": str(rng.randint(1, 40)) if rng.random() < 0.3 else None,
                "postal_code": postal, "city": city, "gmina": city, "powiat": city, "wojewodztwo": region,
                "kind": kind, "legal_form": legal_form, "vat_status": "czynny", "status": "active",
                "start_date": f"{rng.randint(1995, 2024)}-0{rng.randint(1, 9)}-1{rng.randint(0, 9)}",
                "source": "gus", "verified": True, "fetched_at": now - timedelta(days=rng.randint(0, 30)),
                "created_at": now - timedelta(days=rng.randint(0, 800)),
            })
        _bulk(Company, rows, batch=300)
        company_ids = [c.id for c in Company.select(Company.id).order_by(Company.id)]

        # Every company has an administrator; the benchmark user administers the first few.
        members = set()
        memberships = []
        for index, company_id in enumerate(company_ids):
            owner = bench_user_id if index < BENCH_COMPANIES else rng.choice(user_ids[1:])
            members.add((owner, company_id))
            memberships.append({"user": owner, "company": company_id, "role": "admin",
                                "contact_email": None, "statement_version": "2026-11-01",
                                "statement_accepted_at": now, "created_at": now})
        while len(memberships) < companies + 5_000:
            pair = (rng.choice(user_ids[1:]), rng.choice(company_ids))
            if pair not in members:
                members.add(pair)
                memberships.append({"user": pair[0], "company": pair[1], "role": "member",
                                    "created_at": now})
        _bulk(Membership, memberships)
        bench_companies = company_ids[:BENCH_COMPANIES]
        User.update(active_company=bench_companies[0]).where(User.id == bench_user_id).execute()
        # Users with their active company set (the top bar shows it).
        for owner, company_id in list(members)[:8000]:
            if owner != bench_user_id:
                User.update(active_company=company_id).where(User.id == owner).execute()

        # Pending access requests to the benchmark user's first company (shown on its page).
        _bulk(AccessRequest, [
            {"user": user_ids[i], "company": bench_companies[0], "status": "pending", "created_at": now}
            for i in range(1, 4)
        ])

        _bulk(Consent, [
            {"user": uid, "document": doc, "version": "2026-11-01", "accepted_at": now}
            for uid in user_ids for doc in ("terms", "privacy")
        ])
        _bulk(Email, [
            {"recipient": u["email"], "subject": "Aktywuj konto", "text_body": "Kliknij link…" * 20,
             "html_body": "<p>Kliknij link…</p>" * 20, "message_id": f"<seed-{i}@konto.localhost>",
             "created_at": u["created_at"], "sent_at": u["created_at"], "attempts": 1}
            for i, u in enumerate(users)
        ])
        _bulk(AuditEvent, [
            {"user": uid, "event": event, "ip": "192.0.2.1", "user_agent": "Mozilla/5.0", "created_at": now}
            for uid in user_ids for event in ("register", "activate", "login")
        ])
        _bulk(UserSession, [
            {"key_hash": f"{rng.getrandbits(256):064x}", "user": uid, "created_at": now,
             "last_seen_at": now, "ip": "192.0.2.1", "user_agent": "Mozilla/5.0"}
            for uid in rng.sample(user_ids[1:], 3000)
        ])
    return {"user_id": bench_user_id, "companies": bench_companies}
