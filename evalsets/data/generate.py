#!/usr/bin/env python3
"""Generate the contact-extraction dataset in evalsets/data/ (stdlib only, deterministic).

Run from the repository root:

    python evalsets/data/generate.py            # writes contacts.jsonl and contacts_shots.jsonl
    python evalsets/data/generate.py --check    # exits 1 if a committed file differs from its rebuild

This is the one bundled task still on generated data: no openly licensed set of short messages with a
person's name, a city and an amount was found among the sources reachable here (see README.md). The
other tasks' data are subsets of public datasets (build.py).

Every file is rebuilt from the templates and slot values below with a seeded ``random.Random``; two
runs produce byte-identical output. All text is original (templates written for this project). Each
record carries ``cluster`` = the id of the template it came from, so analyses can cluster standard
errors by template. Few-shot records come from separate templates *and* held-out slot values (names,
cities, items) that never appear in the eval records.
"""

from __future__ import annotations

import random
import sys
from pathlib import Path

SEED = 20240611
OUT_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(OUT_DIR))  # build.py beside it: one way to serialise, write and check the files
from build import jsonl, write_or_check

# ---------------------------------------------------------------------------
# Shared slot pools. "eval" pools feed the eval files; "shot" pools are held out
# for the few-shot files, so a shot never shares a name/city/product with an item.
# ---------------------------------------------------------------------------

FIRST = {
    "eval": ["Maria", "James", "Aisha", "Tom", "Priya", "Daniel", "Sofia", "Kevin", "Mei", "Carlos",
             "Hannah", "Omar", "Grace", "Lucas", "Nina", "Ethan", "Fatima", "Ryan", "Chloe", "Samuel",
             "Elena", "Marcus", "Yuki", "Liam", "Zoe", "Andre", "Rosa", "Victor", "Leah", "Ben"],
    "shot": ["Oliver", "Ingrid", "Rahul", "Beatriz", "Felix"],
}
LAST = {
    "eval": ["Lopez", "Chen", "Patel", "Nguyen", "Smith", "Okafor", "Garcia", "Kim", "Rossi", "Novak",
             "Brown", "Silva", "Khan", "Murphy", "Schmidt", "Tanaka", "Ali", "Jensen", "Moreno", "Walsh",
             "Ibrahim", "Costa", "Fischer", "Reyes", "Larsen", "Cohen", "Mendes", "Kowalski"],
    "shot": ["Hartley", "Dubois", "Mbeki", "Lindqvist", "Ferreira"],
}
CITIES = {
    "eval": ["Denver", "Chicago", "Seattle", "Boston", "Portland", "San Diego", "Toronto", "Dublin",
             "Leeds", "Melbourne", "Atlanta", "Miami", "Vancouver", "Manchester", "Auckland", "Oslo",
             "Lisbon", "Nairobi", "Pittsburgh", "Sacramento", "Tucson", "Calgary", "Glasgow",
             "Cape Town", "Kansas City", "Salt Lake City", "Minneapolis", "Nashville", "Cleveland",
             "Brisbane"],
    "shot": ["Omaha", "Bristol", "Wellington", "Halifax", "Perth"],
}
MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August",
          "September", "October", "November", "December"]


def pick(rng: random.Random, pool: dict | list, split: str = "eval"):
    return rng.choice(pool[split] if isinstance(pool, dict) else pool)


def date_str(rng: random.Random) -> str:
    return f"{rng.choice(MONTHS)} {rng.randint(1, 28)}"


def money(rng: random.Random, lo: int, hi: int) -> tuple[str, float | int]:
    """Return (text, value) for a dollar amount, e.g. ("$42.50", 42.5) or ("$120", 120)."""
    dollars = rng.randint(lo, hi)
    kind = rng.random()
    if kind < 0.35:
        return f"${dollars}", dollars
    if kind < 0.45:
        return f"${dollars}.00", dollars
    cents = rng.choice([5, 10, 25, 40, 50, 75, 90, 95, 99, rng.randint(1, 99)])
    value = round(dollars + cents / 100, 2)
    return f"${dollars}.{cents:02d}", value


# ---------------------------------------------------------------------------
# 2. Contact / order field extraction
# ---------------------------------------------------------------------------

ITEMS = {"eval": ["lamp", "rug", "jacket", "printer", "mirror", "kettle", "bike helmet", "suitcase"],
         "shot": ["guitar", "tent"]}

CONTACT_TEMPLATES = [
    ("ct-01", "Hi, this is {name} from {city}. Please refund the {amt} I paid for my last order."),
    ("ct-02", "{name} here. I live in {city} and I was charged {amt} twice."),
    ("ct-03", "Refund request: {amt} for order #{order}. Customer: {name}, {city}."),
    ("ct-04", "My name is {name}, I'm in {city}, and my last payment was {amt}."),
    ("ct-05", "Please send the invoice for {amt} to {name} at our {city} office."),
    ("ct-06", "From {city}: {name} paid {amt} on {date} but never got the item."),
    ("ct-07", "Hello! I'm writing from {city}. I ordered a {item} for {amt} and it arrived broken. Thanks, {name}"),
    ("ct-08", "Could you check my order? It came to {amt}. I'm {name} and I live in {city}."),
    ("ct-09", "{name} ({city}) would like to pay the remaining balance of {amt}."),
    ("ct-10", "On {date}, {name} from {city} placed an order totaling {amt}."),
    ("ct-11", "Customer {name} called from {city} about a charge of {amt} that they don't recognize."),
    ("ct-12", "I paid {amt} for a {item} and want my money back. - {name}, {city}"),
    ("ct-13", "We moved to {city} last month. The {amt} deposit was paid by {name}."),
    ("ct-14", "Name: {name}. City: {city}. Amount due: {amt}."),
    ("ct-15", "This is {name}. Please ship my {item} to {city}; I already paid {amt} on {date}."),
    ("ct-16", "Our {city} store sold a {item} to {name} for {amt}."),
    ("ct-17", "Good afternoon, {name} in {city} is asking why this month's bill was {amt}."),
    ("ct-18", "The gift card worth {amt} belongs to {name}, who lives in {city}."),
    ("ct-19", "{amt} was the total for order #{order}, placed by {name} from {city}."),
    ("ct-20", "Hey, it's {name}! I'm back home in {city} and I still owe you {amt}."),
    ("ct-21", "Please reimburse {name} {amt} for the hotel stay in {city}."),
    ("ct-22", "Ticket #{order}: {name}, based in {city}, disputes a charge of {amt} from {date}."),
    ("ct-23", "I'm {name}. Please cancel my {amt} order and mail the confirmation to my {city} address."),
    ("ct-24", "Delivery for {name} in {city}. Cash on delivery: {amt}."),
]

CONTACT_SHOT_TEMPLATES = [
    ("ct-shot-1", "Sender: {name}, {city}. They sent us {amt} by bank transfer."),
    ("ct-shot-2", "Can {name} in {city} get a receipt for the {amt} payment made on {date}?"),
    ("ct-shot-3", "I was overcharged by {amt} at your {city} branch. Regards, {name}"),
    ("ct-shot-4", "{name} wants to know if the {amt} order going to {city} has shipped yet."),
]


def render_contact(rng: random.Random, template: str, split: str) -> tuple[str, dict]:
    name = f"{pick(rng, FIRST, split)} {pick(rng, LAST, split)}"
    city = pick(rng, CITIES, split)
    amt_text, amt_value = money(rng, 5, 950)
    text = template.format(name=name, city=city, amt=amt_text, date=date_str(rng),
                           order=rng.randint(1000, 99999), item=pick(rng, ITEMS, split))
    return text, {"name": name, "city": city, "amount": amt_value}


# ---------------------------------------------------------------------------
# Generation driver
# ---------------------------------------------------------------------------

def check(cond: bool, msg: str) -> None:
    if not cond:
        raise SystemExit(f"generate.py: check failed: {msg}")


def build_contacts(rng, per_template=11):
    eval_recs, shots, seen = [], [], set()
    for templates, split, k, out in ((CONTACT_TEMPLATES, "eval", per_template, eval_recs),
                                     (CONTACT_SHOT_TEMPLATES, "shot", 1, shots)):
        for tid, tpl in templates:
            n = 0
            while n < k:
                text, target = render_contact(rng, tpl, split)
                if text in seen:
                    continue
                seen.add(text)
                check(target["name"] in text and target["city"] in text, text)
                check(text.count("$") == 1, f"exactly one amount expected: {text}")
                out.append({"cluster": tid, "text": text, "target": target})
                n += 1
    return eval_recs, shots


def finalize(rng, prefix: str, records: list[dict]) -> list[dict]:
    """Shuffle (so any prefix of the file mixes templates) and assign ids; id first."""
    records = list(records)
    rng.shuffle(records)
    return [{"id": f"{prefix}-{i:04d}", **rec} for i, rec in enumerate(records, 1)]


def main(argv: list[str]) -> int:
    # contacts keep the stream they had when this script built four tasks (SEED * 10 + 1), so the
    # committed file is the same bytes it always was.
    rng = random.Random(SEED * 10 + 1)
    eval_recs, shots = build_contacts(rng)
    eval_recs = finalize(rng, "ct", eval_recs)
    shots = [{"id": f"ct-shot-{i}", **rec} for i, rec in enumerate(shots, 1)]
    check(not {s["text"] for s in shots} & {r["text"] for r in eval_recs}, "contacts: shot overlaps eval")
    check(len({r["id"] for r in eval_recs}) == len(eval_recs), "contacts: duplicate ids")
    built = {"contacts.jsonl": jsonl(eval_recs), "contacts_shots.jsonl": jsonl(shots)}
    return write_or_check(built, OUT_DIR, "generate.py", argv)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
