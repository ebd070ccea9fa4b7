#!/usr/bin/env python3
"""Generate the bundled eval datasets in evalsets/data/ (stdlib only, deterministic).

Run from the repository root:

    python evalsets/data/generate.py

Every file is rebuilt from the templates and slot values below with a seeded
``random.Random``; two runs produce byte-identical output. All text is original
(templates written for this project). Each record carries ``cluster`` = the id of
the template it came from, so analyses can cluster standard errors by template.

Few-shot files (``*_shots.jsonl``) come from separate templates *and* held-out slot
values (names, cities, products, ...) that never appear in the eval records.
"""

from __future__ import annotations

import hashlib
import json
import random
import re
import sys
from collections import Counter
from pathlib import Path

SEED = 20240611
OUT_DIR = Path(__file__).resolve().parent
MAX_WORDS = 60

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
WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
STREET_NAMES = {
    "eval": ["Elm Street", "Oak Avenue", "Maple Road", "Cedar Lane", "Park Street", "Hill Road",
             "Main Street", "Lake Drive", "Birch Way", "Mill Lane", "River Road", "King Street"],
    "shot": ["Willow Court", "Harbor View", "Station Road"],
}


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


def with_article(noun: str) -> str:
    vowel_sound = noun[0].lower() in "aeiou" and not noun.lower().startswith(("one", "uni", "eu"))
    return ("an " if vowel_sound else "a ") + noun


def word_count(*texts: str) -> int:
    return sum(len(t.split()) for t in texts)


# ---------------------------------------------------------------------------
# 1. Support-ticket routing
# ---------------------------------------------------------------------------

PRODUCTS = {
    "eval": ["blender", "desk lamp", "kettle", "backpack", "coffee maker", "office chair",
             "rain jacket", "yoga mat", "knife block", "winter coat", "standing desk",
             "air fryer", "bookshelf", "water bottle", "toaster"],
    "shot": ["camping tent", "cast iron pan", "duvet cover"],
}
GADGETS = {
    "eval": ["smart speaker", "wireless earbuds", "fitness tracker", "smart thermostat", "security camera",
             "e-reader", "smartwatch", "video doorbell"],
    "shot": ["baby monitor", "robot vacuum"],
}
DEVICES = {
    "eval": ["iPhone 13", "iPhone 15", "Pixel 7", "Pixel 8", "Galaxy S22", "Galaxy S23", "iPad",
             "Android 14 phone", "Windows 11 laptop", "MacBook Air", "Chromebook", "OnePlus 11"],
    "shot": ["Surface tablet", "Moto G phone"],
}
BROWSERS = ["Chrome", "Firefox", "Safari", "Edge"]
CARRIERS = {"eval": ["UPS", "FedEx", "DHL", "USPS", "Royal Mail", "Canada Post"], "shot": ["Purolator"]}
COUNTRIES = ["Iceland", "Portugal", "New Zealand", "Chile", "Kenya", "Poland", "Vietnam", "Greece"]
PLANS = ["Basic", "Plus", "Premium", "Family", "Pro"]
CARD_TYPES = ["Visa", "Mastercard", "Amex"]
EMAIL_DOMAINS = ["example.com", "example.org", "example.net"]

OPENERS = ["", "", "", "Hi, ", "Hello, ", "Hi there, ", "Hey, ", "Good morning, ", "Hello team, "]
CLOSERS = ["", "", " Thanks.", " Thank you!", " Please help.", " Please fix this as soon as possible.",
           " This is really frustrating.", " I'd appreciate a quick reply.", " Thanks in advance, {first}.",
           " - {first} {last}", " Regards, {first} {last}"]


def ticket_slots(rng: random.Random, split: str) -> dict:
    first, last = pick(rng, FIRST, split), pick(rng, LAST, split)
    first2 = rng.choice([f for f in FIRST[split] if f != first])
    amount_text, amount = money(rng, 9, 300)
    smaller = max(5, int(amount * rng.uniform(0.5, 0.85)))
    pct = rng.choice([10, 15, 20, 25, 30])
    n_items = rng.randint(3, 6)
    handle = first.lower()
    product, device = pick(rng, PRODUCTS, split), pick(rng, DEVICES, split)
    return {
        "first": first, "last": last, "first2": first2,
        "order": str(rng.randint(1000, 99999)),
        "amount": amount_text, "amount2": f"${smaller}",
        "fee": f"${rng.choice([5, 10, 15, 25, 35])}",
        "pct": str(pct), "code": rng.choice(["SAVE", "WELCOME", "SPRING", "VIP"]) + str(pct),
        "date": date_str(rng), "month": rng.choice(MONTHS), "weekday": rng.choice(WEEKDAYS[:5]),
        "product": product, "a_product": with_article(product), "gadget": pick(rng, GADGETS, split),
        "device": device, "a_device": with_article(device), "browser": rng.choice(BROWSERS),
        "carrier": pick(rng, CARRIERS, split), "country": rng.choice(COUNTRIES),
        "plan": rng.choice(PLANS), "cardtype": rng.choice(CARD_TYPES), "last4": f"{rng.randint(0, 9999):04d}",
        "errcode": rng.choice(["E", "ERR-", "code "]) + str(rng.randint(100, 999)),
        "version": f"{rng.randint(2, 9)}.{rng.randint(0, 9)}.{rng.randint(0, 9)}",
        "n": str(rng.randint(2, 9)), "hours": str(rng.randint(2, 5)),
        "got": str(rng.randint(1, n_items - 1)), "total_items": str(n_items),
        "email": f"{handle}.{last.lower()}@{rng.choice(EMAIL_DOMAINS)}",
        "email2": f"{handle}{rng.randint(10, 99)}@{rng.choice(EMAIL_DOMAINS)}",
        "username": f"{handle}_{last.lower()}{rng.randint(1, 99)}",
        "username2": f"{first2.lower()}_{rng.choice(['runs', 'reads', 'cooks', 'codes', 'hikes'])}",
        "street": f"{rng.randint(3, 980)} {pick(rng, STREET_NAMES, split)}",
        "city": pick(rng, CITIES, split),
    }


# (template id, label, [paraphrases]). Bodies never start with a proper noun, so an
# opener like "Hi, " can lower-case the first letter safely.
TICKET_TEMPLATES = [
    ("tk-bil-01", "billing", [
        "I was charged twice for order #{order}. My card shows two payments of {amount}. Please refund the duplicate charge.",
        "My card was billed two times for order #{order}, both for {amount}. Can you reverse one of the charges?"]),
    ("tk-bil-02", "billing", [
        "My invoice for {month} says {amount}, but my {plan} plan is supposed to cost {amount2} a month. Why was I charged more?",
        "I'm on the {plan} plan at {amount2} a month, yet the {month} invoice shows {amount}. Please correct the bill."]),
    ("tk-bil-03", "billing", [
        "I cancelled my subscription on {date}, but I was still billed {amount} this month. I want that money back.",
        "Even though I cancelled on {date}, you charged my card {amount} again. Please refund this payment."]),
    ("tk-bil-04", "billing", [
        "Can you send me an invoice for order #{order}? I need it for my expense report.",
        "I need a receipt showing the {amount} I paid for order #{order}, for tax purposes."]),
    ("tk-bil-05", "billing", [
        "Please update the payment card you bill each month. My new {cardtype} card ends in {last4}.",
        "My old card expired. I'd like to pay future invoices with my new {cardtype} ending in {last4}."]),
    ("tk-bil-06", "billing", [
        "I returned the {product} two weeks ago and you confirmed you received it, but the {amount} refund still hasn't reached my card.",
        "Your warehouse got my returned {product} on {date}. When will the {amount} refund be paid to my account?"]),
    ("tk-bil-07", "billing", [
        "Why was I charged a {fee} late fee? I paid my bill on {date}, before the due date.",
        "There is a {fee} late fee on my statement, but my payment went through on {date}. Please remove the fee."]),
    ("tk-bil-08", "billing", [
        "I used the code {code} for {pct}% off, but I was charged the full price of {amount} for the {product}.",
        "The {pct}% discount from code {code} was not applied. I paid {amount} for the {product} instead of the sale price."]),

    ("tk-tec-01", "technical", [
        "The app crashes every time I open the settings page on my {device}.",
        "Whenever I tap Settings in the app, it closes immediately. I'm using {a_device}."]),
    ("tk-tec-02", "technical", [
        "I keep getting error {errcode} when I try to upload a photo from my {device}.",
        "Uploading pictures fails with error {errcode} on my {device}. I've tried {n} times."]),
    ("tk-tec-03", "technical", [
        "Since the latest update, my {gadget} won't connect to Wi-Fi. I've restarted it {n} times and it still fails.",
        "My {gadget} keeps dropping off the Wi-Fi network after the last software update, even after a reset."]),
    ("tk-tec-04", "technical", [
        "The website freezes whenever I use the search bar in {browser}. Clearing my cache didn't help.",
        "Your search page stops responding in {browser} as soon as I type anything. I already tried another computer."]),
    ("tk-tec-05", "technical", [
        "Push notifications stopped working on my {device} after updating the app to version {version}.",
        "After the version {version} update, the app no longer sends me any alerts on my {device}."]),
    ("tk-tec-06", "technical", [
        "The battery in my {gadget} drains from full to empty in about {hours} hours, even when I'm not using it.",
        "My {gadget} won't hold a charge anymore. It dies after {hours} hours on standby."]),
    ("tk-tec-07", "technical", [
        "Videos in the app won't play on my {device}. I just see a black screen and a spinning wheel.",
        "No video will load in the app on my {device}; the player stays black and nothing happens."]),
    ("tk-tec-08", "technical", [
        "The firmware update for my {gadget} stopped at {pct}% and now the device won't turn on.",
        "my {gadget} got stuck during a firmware update at {pct}% and has been unresponsive ever since."]),

    ("tk-acc-01", "account", [
        "I forgot my password. Can you help me reset it? The email on my account is {email}.",
        "I can't remember my password for the account registered to {email}. How do I reset it?"]),
    ("tk-acc-02", "account", [
        "Please change the email address on my account from {email} to {email2}.",
        "I'd like my account to use {email2} instead of my old address, {email}."]),
    ("tk-acc-03", "account", [
        "I want to permanently delete my account and all my personal data. My username is {username}.",
        "Please close my account ({username}) and erase the profile information you have about me."]),
    ("tk-acc-04", "account", [
        "My account was locked after too many sign-in attempts. Can you unlock it? The username is {username}.",
        "I typed my password wrong a few times and now the account {username} is locked. Please unlock it."]),
    ("tk-acc-05", "account", [
        "I got a new phone number and need to update it for two-step verification on my account.",
        "My two-factor codes still go to my old phone number. How do I switch my account to my new number?"]),
    ("tk-acc-06", "account", [
        "I accidentally made two accounts, {email} and {email2}. Can you merge them into one?",
        "I have one account under {email} and another under {email2}. Please combine them into a single account."]),
    ("tk-acc-07", "account", [
        "I think someone else got into my account. I see a sign-in from {city} that wasn't me. Please secure it.",
        "There's a login to my account from {city} that I didn't make. Can you lock it down and sign out all sessions?"]),
    ("tk-acc-08", "account", [
        "How do I change my username from {username} to {username2}?",
        "I'd like to rename my profile. Please change the username {username} to {username2}."]),

    ("tk-shp-01", "shipping", [
        "My order #{order} was supposed to arrive on {date}, but it still hasn't come. Where is my package?",
        "Order #{order} was due on {date} and I still don't have it. Can you tell me where it is?"]),
    ("tk-shp-02", "shipping", [
        "The tracking for order #{order} hasn't updated in {n} days. It's stuck at a {carrier} facility.",
        "My package for order #{order} has shown the same {carrier} scan for {n} days. Is it lost?"]),
    ("tk-shp-03", "shipping", [
        "I just placed order #{order} and the delivery address is wrong. Please ship it to {street} instead.",
        "Can you change the shipping address on order #{order}? It should go to {street}."]),
    ("tk-shp-04", "shipping", [
        "My {product} was delivered today, but the box was crushed in transit and the item is broken. Can you send a replacement?",
        "the courier dropped off my {product} with the box torn open and the item damaged. Please ship me a new one."]),
    ("tk-shp-05", "shipping", [
        "Do you ship to {country}? I'd like to order {a_product} but I'm not sure delivery is available there.",
        "Is delivery to {country} possible? I want to buy {a_product} and have it sent there."]),
    ("tk-shp-06", "shipping", [
        "The tracking page says my package was delivered on {date}, but nothing was left at my door.",
        "{carrier} marked order #{order} as delivered, but I never received the parcel."]),
    ("tk-shp-07", "shipping", [
        "Can I switch order #{order} to express delivery? I need the {product} by {weekday}.",
        "I need my {product} faster. Is it possible to upgrade order #{order} to next-day shipping?"]),
    ("tk-shp-08", "shipping", [
        "I only received {got} of the {total_items} items in order #{order}. Were the rest shipped separately?",
        "Order #{order} arrived with just {got} of {total_items} items in the box. When will the others be delivered?"]),
]

TICKET_SHOT_TEMPLATES = [
    ("tk-shot-bil", "billing", ["There is a charge of {amount} from your company on my bank statement, but I don't remember buying anything. What is it for?"]),
    ("tk-shot-tec", "technical", ["The screen goes completely white whenever I rotate my {device} while the app is open."]),
    ("tk-shot-acc", "account", ["How do I add my partner as a second user on my account? Their name is {first2}."]),
    ("tk-shot-shp", "shipping", ["Which carrier will deliver order #{order}, and can I pick the parcel up at a {carrier} depot instead?"]),
]


def render_ticket(rng: random.Random, variants: list[str], split: str) -> str:
    slots = ticket_slots(rng, split)
    body = rng.choice(variants).format(**slots)
    body = body[0].upper() + body[1:]
    opener = rng.choice(OPENERS)
    if opener and not re.match(r"I\b|I'", body) and not body.startswith(slots["carrier"]):
        body = body[0].lower() + body[1:]
    closer = rng.choice(CLOSERS).format(**slots)
    return opener + body + closer


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
# 3. Arithmetic word problems. Each template is a function rng, split -> (question, answer).
#    Cluster prefixes: ar-add-* single-step add/sub, ar-mul-* single-step product/quotient,
#    ar-two-* two-step.
# ---------------------------------------------------------------------------

def names(rng: random.Random, split: str, k: int = 2) -> list[str]:
    return rng.sample(FIRST[split], k)


def _add(lo_a=3, hi_a=25, lo_b=2, hi_b=15):
    def draw(rng):
        return rng.randint(lo_a, hi_a), rng.randint(lo_b, hi_b)
    return draw


def _sub(lo_a=8, hi_a=30, max_b=None):
    def draw(rng):
        a = rng.randint(lo_a, hi_a)
        return a, rng.randint(2, min(a - 1, max_b or a))  # >= 2 keeps plurals grammatical
    return draw


def single(fmt: str, op: str, draw):
    def gen(rng, split):
        a, b = draw(rng)
        n1, n2 = names(rng, split)
        return fmt.format(a=a, b=b, n1=n1, n2=n2), (a + b if op == "+" else a - b)
    return gen


def two_step(fmt: str, draw, answer):
    """draw(rng) -> dict of numbers (or None to reject); answer(d) -> int."""
    def gen(rng, split):
        while True:
            d = draw(rng)
            if d is None:
                continue
            ans = answer(d)
            if 0 <= ans <= 200:
                n1, n2 = names(rng, split)
                return fmt.format(n1=n1, n2=n2, **d), ans
    return gen


def r(rng, lo, hi):
    return rng.randint(lo, hi)


ARITH_TEMPLATES = [
    # --- single-step addition / subtraction ---
    ("ar-add-01", single("{n1} has {a} apples and buys {b} more. How many apples does {n1} have now?", "+", _add())),
    ("ar-add-02", single("There are {a} birds on a fence. {b} of them fly away. How many birds are left on the fence?", "-", _sub())),
    ("ar-add-03", single("{n1} read {a} pages on Monday and {b} pages on Tuesday. How many pages did {n1} read in total?", "+", _add())),
    ("ar-add-04", single("A bus has {a} passengers. At the next stop, {b} people get off and nobody gets on. How many passengers are on the bus now?", "-", _sub())),
    ("ar-add-05", single("{n1} has {a} stickers and {n2} has {b} stickers. How many stickers do they have together?", "+", _add())),
    ("ar-add-06", single("{n1} had {a} dollars and spent {b} dollars on lunch. How many dollars does {n1} have left?", "-", _sub())),
    ("ar-add-07", single("A shelf holds {a} red books and {b} blue books. How many books are on the shelf?", "+", _add())),
    ("ar-add-08", single("{n1} is {a} years old. How old will {n1} be in {b} years?", "+", _add(4, 40, 2, 10))),
    ("ar-add-09", single("A baker made {a} muffins and sold {b} of them. How many muffins are left?", "-", _sub())),
    ("ar-add-10", single("{n1} scored {a} points in the first game and {b} points in the second game. How many points did {n1} score altogether?", "+", _add())),
    ("ar-add-11", single("There were {a} cookies in a jar. {n1} ate {b} of them. How many cookies are in the jar now?", "-", _sub())),
    ("ar-add-12", single("{n1} has {a} marbles. {n2} has {b} fewer marbles than {n1}. How many marbles does {n2} have?", "-", _sub())),
    ("ar-add-13", single("A garden has {a} roses and {b} tulips. How many flowers are in the garden?", "+", _add())),
    ("ar-add-14", single("{n1} walked {a} blocks to school and then {b} blocks to the park. How many blocks did {n1} walk?", "+", _add(2, 15, 2, 12))),
    ("ar-add-15", single("A class has {a} students. {b} of them are absent today. How many students are in class today?", "-", _sub(15, 32, max_b=9))),
    ("ar-add-16", single("{n1} had {a} balloons, and {b} of them popped. How many balloons does {n1} have now?", "-", _sub(5, 20))),
    # --- single-step multiplication / division ---
    ("ar-mul-01", two_step("Each box holds {a} crayons. How many crayons are in {b} boxes?",
                           lambda g: {"a": r(g, 2, 9), "b": r(g, 2, 9)}, lambda d: d["a"] * d["b"])),
    ("ar-mul-02", two_step("{n1} shares {t} grapes equally among {b} friends. How many grapes does each friend get?",
                           lambda g: (lambda a, b: {"t": a * b, "b": b, "a": a})(r(g, 2, 9), r(g, 2, 6)),
                           lambda d: d["a"])),
    # --- two-step ---
    ("ar-two-01", two_step("{n1} buys {b} packs of pencils. Each pack has {a} pencils. {n1} gives away {c} pencils. How many pencils does {n1} have left?",
                           lambda g: (lambda a, b: {"a": a, "b": b, "c": r(g, 2, a * b - 1)})(r(g, 3, 10), r(g, 2, 6)),
                           lambda d: d["a"] * d["b"] - d["c"])),
    ("ar-two-02", two_step("{n1} has {a} apples, buys {b} more, and then eats {c}. How many apples does {n1} have left?",
                           lambda g: (lambda a, b: {"a": a, "b": b, "c": r(g, 2, a + b - 1)})(r(g, 3, 20), r(g, 2, 12)),
                           lambda d: d["a"] + d["b"] - d["c"])),
    ("ar-two-03", two_step("A store had {a} shirts. It sold {b} in the morning and {c} in the afternoon. How many shirts are left?",
                           lambda g: (lambda a: (lambda b: {"a": a, "b": b, "c": r(g, 2, a - b - 1)})(r(g, 2, a // 2)))(r(g, 12, 60)),
                           lambda d: d["a"] - d["b"] - d["c"])),
    ("ar-two-04", two_step("Tickets cost {p} dollars each. {n1} buys {k} tickets and pays with a {bill}-dollar bill. How much change does {n1} get, in dollars?",
                           lambda g: (lambda p, k: {"p": p, "k": k, "bill": next(b for b in (20, 50, 100) if b > p * k)} if p * k < 100 else None)(r(g, 2, 15), r(g, 2, 5)),
                           lambda d: d["bill"] - d["p"] * d["k"])),
    ("ar-two-05", two_step("{n1} has {a} cards. {n2} has {b} more cards than {n1}. How many cards do they have together?",
                           lambda g: {"a": r(g, 3, 30), "b": r(g, 2, 12)}, lambda d: 2 * d["a"] + d["b"])),
    ("ar-two-06", two_step("A farmer has {a} cows and twice as many sheep. How many cows and sheep does the farmer have in total?",
                           lambda g: {"a": r(g, 3, 30)}, lambda d: 3 * d["a"])),
    ("ar-two-07", two_step("A hall has {r} rows of chairs with {k} chairs in each row. {c} chairs are empty. How many chairs are taken?",
                           lambda g: (lambda rr, k: {"r": rr, "k": k, "c": r(g, 2, rr * k - 1)})(r(g, 3, 10), r(g, 4, 12)),
                           lambda d: d["r"] * d["k"] - d["c"])),
    ("ar-two-08", two_step("{n1} saves {a} dollars each week for {w} weeks, then spends {c} dollars on a game. How many dollars does {n1} have left?",
                           lambda g: (lambda a, w: {"a": a, "w": w, "c": r(g, 5, a * w - 1)})(r(g, 3, 15), r(g, 2, 8)),
                           lambda d: d["a"] * d["w"] - d["c"])),
    ("ar-two-09", two_step("A pizza is cut into {s} slices. {n1} eats {x} slices and {n2} eats {y} slices. How many slices are left?",
                           lambda g: (lambda s: (lambda x: {"s": s, "x": x, "y": r(g, 2, s - x - 1)})(r(g, 2, s // 2)))(g.choice([8, 10, 12, 16])),
                           lambda d: d["s"] - d["x"] - d["y"])),
    ("ar-two-10", two_step("{n1} had {a} stamps, gave {b} of them to {n2}, and then bought {c} new ones. How many stamps does {n1} have now?",
                           lambda g: (lambda a: {"a": a, "b": r(g, 2, a - 1), "c": r(g, 2, 20)})(r(g, 8, 40)),
                           lambda d: d["a"] - d["b"] + d["c"])),
    ("ar-two-11", two_step("There are {b} bags with {a} oranges in each bag, plus {c} loose oranges. How many oranges are there in total?",
                           lambda g: {"a": r(g, 3, 12), "b": r(g, 2, 8), "c": r(g, 2, 9)},
                           lambda d: d["a"] * d["b"] + d["c"])),
    ("ar-two-12", two_step("A book has {t} pages. {n1} reads {a} pages every day for {d} days. How many pages are left to read?",
                           lambda g: (lambda a, dd: {"a": a, "d": dd, "t": a * dd + r(g, 5, 80)})(r(g, 5, 20), r(g, 2, 7)),
                           lambda d: d["t"] - d["a"] * d["d"])),
    ("ar-two-13", two_step("{n1} has {a} dollars and buys {k} notebooks that cost {p} dollars each. How many dollars does {n1} have left?",
                           lambda g: (lambda k, p: {"k": k, "p": p, "a": k * p + r(g, 0, 30)})(r(g, 2, 6), r(g, 2, 9)),
                           lambda d: d["a"] - d["k"] * d["p"])),
    ("ar-two-14", two_step("A box has {a} red balls and {b} blue balls. {c} balls are taken out. How many balls are still in the box?",
                           lambda g: (lambda a, b: {"a": a, "b": b, "c": r(g, 2, a + b - 1)})(r(g, 3, 25), r(g, 3, 25)),
                           lambda d: d["a"] + d["b"] - d["c"])),
    ("ar-two-15", two_step("{n1} is {a} years old. {n2} is {b} years older than {n1}. How old will {n2} be in {c} years?",
                           lambda g: {"a": r(g, 4, 40), "b": r(g, 2, 15), "c": r(g, 2, 10)},
                           lambda d: d["a"] + d["b"] + d["c"])),
    ("ar-two-16", two_step("{n1} buys {k} shirts for {p} dollars each and a hat for {h} dollars. How many dollars does {n1} spend in total?",
                           lambda g: {"k": r(g, 2, 5), "p": r(g, 5, 25), "h": r(g, 5, 20)},
                           lambda d: d["k"] * d["p"] + d["h"])),
]

ARITH_SHOT_TEMPLATES = [
    ("ar-shot-1", single("A jar has {a} buttons. {n1} puts in {b} more buttons. How many buttons are in the jar now?", "+", _add())),
    ("ar-shot-2", single("{n1} had {a} crackers and gave {b} of them to {n2}. How many crackers does {n1} have now?", "-", _sub())),
    ("ar-shot-3", two_step("A pet shop has {k} tanks with {p} fish in each tank. {c} fish are sold. How many fish are left?",
                           lambda g: (lambda k, p: {"k": k, "p": p, "c": r(g, 2, k * p - 1)})(r(g, 2, 6), r(g, 3, 9)),
                           lambda d: d["k"] * d["p"] - d["c"])),
    ("ar-shot-4", two_step("{n1} picks {a} lemons and {n2} picks {b} lemons. They use {c} lemons to make juice. How many lemons are left?",
                           lambda g: (lambda a, b: {"a": a, "b": b, "c": r(g, 2, a + b - 1)})(r(g, 3, 15), r(g, 3, 15)),
                           lambda d: d["a"] + d["b"] - d["c"])),
]


# ---------------------------------------------------------------------------
# 4. Short reading comprehension (answer = verbatim span of the passage)
# ---------------------------------------------------------------------------

AM_TIMES = ["7 am", "8 am", "9 am", "10 am", "11 am", "7:30 am", "8:30 am", "9:30 am"]
PM_TIMES = ["4 pm", "5 pm", "6 pm", "7 pm", "8 pm", "9 pm", "5:30 pm", "6:30 pm"]
COLORS = ["red", "blue", "green", "yellow", "orange", "purple", "gray", "white", "black"]
PET_NAMES = {"eval": ["Biscuit", "Luna", "Pepper", "Milo", "Clover", "Shadow", "Noodle", "Ziggy", "Mochi", "Tiger"],
             "shot": ["Pickles", "Comet"]}
JOBS = ["nurse", "lab technician", "pharmacist", "surgeon", "radiologist", "physical therapist", "dentist"]
VEGETABLES = ["tomatoes", "carrots", "beans", "peppers", "lettuce", "onions", "potatoes", "pumpkins"]
BUILDINGS = ["garage", "old barn", "apartment block", "village school", "church", "post office"]
EXHIBITS = ["ancient coins", "handmade quilts", "dinosaur bones", "old maps", "wooden masks", "glass vases"]
EXHIBIT_PLACES = ["Peru", "Japan", "Egypt", "Norway", "Mexico", "India", "Morocco"]
PASTRIES = ["croissants", "bagels", "scones", "brownies", "donuts"]
SPECIALS = ["cinnamon roll", "lemon tart", "apple pie", "banana bread", "cheese danish", "carrot cake"]
TOWNS = ["Millbrook", "Fairview", "Oakridge", "Stonebridge", "Riverton", "Ashford", "Greenfield", "Hollowell"]
ORDINALS = ["second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth", "tenth", "twelfth"]
NUMBER_WORDS = ["three", "four", "five", "six", "seven", "eight", "nine"]
RIVERS = ["Ostra", "Velan", "Kerro", "Malda", "Tessin", "Brava", "Lunor"]
SUBJECTS = ["history", "biology", "geography", "chemistry", "art", "algebra"]
INSTRUMENTS = ["violin", "piano", "cello", "trumpet", "flute", "drums", "guitar", "saxophone"]
PLAYS = ["The Lost Key", "Winter Garden", "A Night at Sea", "The Paper Crown", "Under the Bridge", "Moonlight Market"]
VENUES = ["main hall", "gym", "library", "town hall", "community center", "old theater"]
SPICES = ["salt", "cinnamon", "nutmeg", "ginger"]
REASONS = ["heavy fog", "strong winds", "heavy snow", "engine trouble", "thunderstorms", "a missing pilot"]
LAKES = ["Pine Lake", "Silver Lake", "Bear Lake", "Crystal Lake", "Echo Lake", "Mirror Lake", "Blue Lake"]
TREES = ["maple", "cherry", "lemon", "pine", "birch", "walnut", "peach"]
CHILD_NAMES = {"eval": ["Ava", "Lily", "Ruby", "Isla", "Maya", "Nora", "Stella", "Iris"], "shot": ["Hazel"]}
FACILITIES = ["swimming pool", "skate park", "public library", "sports field", "bus station", "fire station"]
LANDMARKS = ["old mill", "train station", "river bridge", "clock tower", "central market", "stone tower"]
LANGUAGES = ["Spanish", "French", "German", "Italian", "Korean", "Arabic", "Portuguese", "Japanese", "Polish"]
GADGET_PRODUCTS = ["coffee grinder", "desk fan", "rice cooker", "hair dryer", "space heater", "vacuum cleaner"]
SPORTS = ["chess", "tennis", "table tennis", "badminton", "darts", "golf"]
PRIZES = ["silver trophy", "gift card", "gold medal", "new bicycle", "pair of tickets", "glass plaque"]
TRIP_PLACES = ["science museum", "chocolate factory", "fire station", "botanical garden", "aquarium", "history museum", "city farm"]
FLIGHT_PREFIX = ["AB", "KL", "TR", "MX", "QF"]


def qa_slots(rng: random.Random, split: str) -> dict:
    first, last = pick(rng, FIRST, split), pick(rng, LAST, split)
    c1, c2 = rng.sample(COLORS, 2)
    v1, v2 = rng.sample(VEGETABLES, 2)
    l1, l2 = rng.sample(LANGUAGES, 2)
    p1, p2 = rng.sample(TRIP_PLACES, 2)
    t1, t2 = rng.choice(AM_TIMES), rng.choice(PM_TIMES)
    return {
        "first": first, "last": last, "name": f"{first} {last}",
        "city": pick(rng, CITIES, split), "street": pick(rng, STREET_NAMES, split),
        "t1": t1, "t2": t2, "am": rng.choice(AM_TIMES),
        "clock": f"{rng.randint(5, 11)}:{rng.choice(['05', '15', '20', '40', '45', '50'])} {rng.choice(['am', 'pm'])}",
        "color": c1, "color2": c2, "veg1": v1, "veg2": v2, "lang1": l1, "lang2": l2,
        "place1": p1, "place2": p2, "a_color": with_article(c1),
        "a_place1": with_article(p1), "a_place2": with_article(p2),
        "pet": pick(rng, PET_NAMES, split), "job": rng.choice(JOBS), "building": rng.choice(BUILDINGS),
        "exhibit": rng.choice(EXHIBITS), "country": rng.choice(EXHIBIT_PLACES), "date": date_str(rng),
        "pastry": rng.choice(PASTRIES), "special": rng.choice(SPECIALS),
        "price": f"${rng.randint(1, 4)}", "bigprice": f"${rng.randint(20, 499)}",
        "town": rng.choice(TOWNS), "weekday": rng.choice(WEEKDAYS), "month": rng.choice(MONTHS),
        "ordinal": rng.choice(ORDINALS), "numword": rng.choice(NUMBER_WORDS),
        "river": rng.choice(RIVERS), "subject": rng.choice(SUBJECTS), "instrument": rng.choice(INSTRUMENTS),
        "play": rng.choice(PLAYS), "venue": rng.choice(VENUES), "spice": rng.choice(SPICES),
        "reason": rng.choice(REASONS), "flight": f"{rng.choice(FLIGHT_PREFIX)}{rng.randint(100, 989)}",
        "lake": rng.choice(LAKES), "miles": f"{rng.randint(2, 14)} miles", "hours": str(rng.randint(2, 6)),
        "tree": rng.choice(TREES), "child": pick(rng, CHILD_NAMES, split),
        "facility": rng.choice(FACILITIES), "landmark": rng.choice(LANDMARKS),
        "room": str(rng.randint(101, 340)), "years": str(rng.randint(2, 12)),
        "gadget": rng.choice(GADGET_PRODUCTS), "warranty": str(rng.randint(1, 5)),
        "sport": rng.choice(SPORTS), "prize": rng.choice(PRIZES), "players": str(rng.randint(12, 90)),
        "minutes": f"{rng.choice([5, 10, 15, 20, 25, 30, 40, 45])} minutes",
        "fish_count": rng.choice(["three", "four", "five", "six"]), "fishname": pick(rng, PET_NAMES, split),
        "phone": f"555-{rng.randint(100, 199):04d}", "hour_h": str(rng.randint(2, 5)),
        "hour_m": str(rng.choice([5, 12, 18, 24, 31, 47, 53])),
        "place_ord": rng.choice(["third", "fifth", "seventh", "ninth", "twelfth", "fifteenth", "twentieth"]),
    }


# (template id, passage, question, answer slot)
QA_TEMPLATES = [
    ("qa-01", "The library on {street} opens at {t1} and closes at {t2} on weekdays.",
     "When does the library close on weekdays?", "t2"),
    ("qa-02", "{name} adopted {a_color} cat named {pet} last spring. The cat likes to sleep on the windowsill.",
     "What is the name of {first}'s cat?", "pet"),
    ("qa-03", "The {town} Tigers won the regional final. Their coach, {name}, had trained the team for {years} years.",
     "Who is the coach of the {town} Tigers?", "name"),
    ("qa-04", "The next train to {city} leaves at {clock}. Passengers should arrive ten minutes early to buy tickets.",
     "What time does the next train to {city} leave?", "clock"),
    ("qa-05", "{name} grows {veg1} and {veg2} in a small garden behind the {building}.",
     "Where is {first}'s garden?", "_behind"),
    ("qa-06", "The museum's newest exhibit shows {exhibit} from {country}. It opened to the public on {date}.",
     "When did the exhibit open to the public?", "date"),
    ("qa-07", "{name} works as a {job} at a hospital in {city}. On weekends, {first} volunteers at an animal shelter.",
     "What is {first}'s job?", "job"),
    ("qa-08", "The corner bakery sells {pastry} for {price} each. Its most popular item is the {special}.",
     "What is the bakery's most popular item?", "special"),
    ("qa-09", "A storm knocked down power lines in {town} on {weekday} night. Power was restored by {am} the next morning.",
     "By what time was power restored?", "am"),
    ("qa-10", "{name} ran the city marathon in {hour_h} hours and {hour_m} minutes, finishing in {place_ord} place.",
     "In what place did {first} finish the marathon?", "place_ord"),
    ("qa-11", "The {river} River flows through {numword} countries before it reaches the sea.",
     "How many countries does the {river} River flow through?", "numword"),
    ("qa-12", "Our office has moved to the {ordinal} floor of the {town} Tower. Visitors should check in at the front desk.",
     "Which floor is the office on now?", "_floor"),
    ("qa-13", "{name}'s favorite subject is {subject}, but {first} spends most evenings practicing the {instrument}.",
     "What instrument does {first} practice?", "instrument"),
    ("qa-14", "The school play, {play}, will be performed in the {venue} on {weekday} evening.",
     "Where will the school play be performed?", "venue"),
    ("qa-15", "{name} bought {a_color} bicycle for {bigprice}. The shop also gave {first} a free helmet.",
     "What color is the bicycle {first} bought?", "color"),
    ("qa-16", "The recipe calls for {numword} cups of flour, two eggs, and a pinch of {spice}.",
     "How many cups of flour does the recipe need?", "numword"),
    ("qa-17", "Flight {flight} to {city} was delayed because of {reason}. It finally took off at {clock}.",
     "Why was flight {flight} delayed?", "reason"),
    ("qa-18", "{name} is the captain of the chess club, which meets every {weekday} in room {room}.",
     "On which day does the chess club meet?", "weekday"),
    ("qa-19", "The hiking trail to {lake} is {miles} long and takes about {hours} hours to walk.",
     "How long is the trail to {lake}?", "miles"),
    ("qa-20", "{name} planted a {tree} tree in the front yard when {first}'s daughter, {child}, was born.",
     "What is the name of {first}'s daughter?", "child"),
    ("qa-21", "The town council voted to build a new {facility} near the {landmark}. Construction will start in {month}.",
     "In which month will construction start?", "month"),
    ("qa-22", "{name} keeps {fish_count} goldfish in a tank in the living room. The biggest one is called {fishname}.",
     "What is the biggest goldfish called?", "fishname"),
    ("qa-23", "Because the forecast called for rain, the {town} summer concert was moved from the park to the {venue}.",
     "Where was the concert moved to?", "venue"),
    ("qa-24", "{name} speaks {lang1} at home and is learning {lang2} at night school.",
     "Which language is {first} learning at night school?", "lang2"),
    ("qa-25", "The shop's new manager, {name}, started on {date} after working at the {city} branch for {years} years.",
     "Who is the shop's new manager?", "name"),
    ("qa-26", "Every summer, the {last} family rents a small cabin near {lake} for two weeks.",
     "Where does the {last} family rent a cabin?", "_near"),
    ("qa-27", "The new {gadget} costs {bigprice} and comes with a {warranty}-year warranty.",
     "How much does the new {gadget} cost?", "bigprice"),
    ("qa-28", "{name} missed the {clock} bus, so {first} took a taxi and arrived at work {minutes} late.",
     "How late did {first} arrive at work?", "minutes"),
    ("qa-29", "The {sport} tournament in {city} drew {players} players. The winner received a {prize}.",
     "What did the winner of the {sport} tournament receive?", "prize"),
    ("qa-30", "{name} painted the kitchen {color} and the bedroom {color2} last weekend.",
     "What color is the bedroom?", "color2"),
    ("qa-31", "The dental clinic on {street} is open from {t1} to {t2}. To book an appointment, call {phone}.",
     "What number should you call to book an appointment?", "phone"),
    ("qa-32", "On the school trip, the students visited {a_place1} in the morning and {a_place2} in the afternoon.",
     "What did the students visit in the afternoon?", "place2"),
]

QA_SHOT_TEMPLATES = [
    ("qa-shot-1", "The swimming pool on {street} is closed every {weekday} for cleaning.",
     "On which day is the pool closed?", "weekday"),
    ("qa-shot-2", "Last month {name} drove to {city} to visit an old friend from college.",
     "Where did {first} drive to?", "city"),
    ("qa-shot-3", "The reading club picked {play} as its book for {month}. Members meet at the {venue}.",
     "Which book did the reading club pick?", "play"),
    ("qa-shot-4", "The farmers market opens at {t1} near the {landmark} and sells fresh bread and honey.",
     "When does the farmers market open?", "t1"),
]

# Derived answers that are a multi-word span built around a slot.
QA_DERIVED = {
    "_behind": lambda s: f"behind the {s['building']}",
    "_floor": lambda s: f"{s['ordinal']} floor",
    "_near": lambda s: s["lake"],
}


def render_qa(rng: random.Random, passage: str, question: str, key: str, split: str):
    s = qa_slots(rng, split)
    p, q = passage.format(**s), question.format(**s)
    a = QA_DERIVED[key](s) if key in QA_DERIVED else s[key]
    return p, q, a


# ---------------------------------------------------------------------------
# Generation driver
# ---------------------------------------------------------------------------

def check(cond: bool, msg: str) -> None:
    if not cond:
        raise SystemExit(f"generate.py: check failed: {msg}")


def build_tickets(rng, per_template=8):
    eval_recs, shots, seen = [], [], set()
    for tid, label, variants in TICKET_TEMPLATES:
        n = 0
        while n < per_template:
            text = render_ticket(rng, variants, "eval")
            if text in seen:
                continue
            seen.add(text)
            eval_recs.append({"cluster": tid, "text": text, "label": label})
            n += 1
    for tid, label, variants in TICKET_SHOT_TEMPLATES:
        shots.append({"cluster": tid, "text": render_ticket(rng, variants, "shot"), "label": label})
    for rec in eval_recs + shots:
        check(word_count(rec["text"]) <= MAX_WORDS, f"ticket too long: {rec['text']}")
        check("{" not in rec["text"], f"unfilled slot: {rec['text']}")
    return eval_recs, shots


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


def build_arithmetic(rng, per_template=8):
    eval_recs, shots, seen = [], [], set()
    for templates, split, k, out in ((ARITH_TEMPLATES, "eval", per_template, eval_recs),
                                     (ARITH_SHOT_TEMPLATES, "shot", 1, shots)):
        for tid, gen in templates:
            n = 0
            while n < k:
                q, a = gen(rng, split)
                if q in seen:
                    continue
                check(isinstance(a, int) and 0 <= a <= 200, f"answer out of range: {q} -> {a}")
                seen.add(q)
                out.append({"cluster": tid, "question": q, "answer": a})
                n += 1
    return eval_recs, shots


def build_qa(rng, per_template=8):
    eval_recs, shots, seen = [], [], set()
    for templates, split, k, out in ((QA_TEMPLATES, "eval", per_template, eval_recs),
                                     (QA_SHOT_TEMPLATES, "shot", 1, shots)):
        for tid, passage, question, key in templates:
            n = 0
            while n < k:
                p, q, a = render_qa(rng, passage, question, key, split)
                if (p, q) in seen:
                    continue
                # answer must be an unambiguous verbatim span, 1-4 words
                if len(re.findall(r"(?<![\w$])" + re.escape(a) + r"(?!\w)", p)) != 1:
                    continue
                check(1 <= len(a.split()) <= 4, f"answer too long: {a}")
                check(word_count(p, q) <= MAX_WORDS, f"too long: {p} {q}")
                seen.add((p, q))
                out.append({"cluster": tid, "passage": p, "question": q, "answer": a})
                n += 1
    return eval_recs, shots


def finalize(rng, prefix: str, records: list[dict]) -> list[dict]:
    """Shuffle (so any prefix of the file mixes templates) and assign ids; id first."""
    records = list(records)
    rng.shuffle(records)
    return [{"id": f"{prefix}-{i:04d}", **rec} for i, rec in enumerate(records, 1)]


def write_jsonl(path: Path, records: list[dict]) -> str:
    data = "".join(json.dumps(rec, ensure_ascii=False) + "\n" for rec in records).encode("utf-8")
    path.write_bytes(data)
    return hashlib.sha256(data).hexdigest()


def main() -> int:
    builders = [
        ("tickets", "tk", build_tickets, "label"),
        ("contacts", "ct", build_contacts, None),
        ("arithmetic", "ar", build_arithmetic, None),
        ("qa", "qa", build_qa, None),
    ]
    summary = {}
    for k, (name, prefix, build, label_key) in enumerate(builders):
        rng = random.Random(SEED * 10 + k)  # one independent stream per task
        eval_recs, shots = build(rng)
        eval_recs = finalize(rng, prefix, eval_recs)
        shots = [{"id": f"{prefix}-shot-{i}", **rec} for i, rec in enumerate(shots, 1)]
        key_field = "text" if "text" in eval_recs[0] else "question"
        eval_keys = {(r.get("passage"), r[key_field]) for r in eval_recs}
        check(not any((s.get("passage"), s[key_field]) in eval_keys for s in shots), f"{name}: shot overlaps eval")
        check(len({r["id"] for r in eval_recs}) == len(eval_recs), f"{name}: duplicate ids")
        sha = write_jsonl(OUT_DIR / f"{name}.jsonl", eval_recs)
        sha_shots = write_jsonl(OUT_DIR / f"{name}_shots.jsonl", shots)
        clusters = Counter(r["cluster"] for r in eval_recs)
        if label_key:
            balance = dict(sorted(Counter(r[label_key] for r in eval_recs).items()))
        elif name == "arithmetic":
            balance = dict(sorted(Counter(r["cluster"].split("-")[1] for r in eval_recs).items()))
        else:
            balance = None
        summary[name] = dict(records=len(eval_recs), clusters=len(clusters), shots=len(shots),
                             balance=balance, sha256=sha, sha256_shots=sha_shots,
                             fields=list(eval_recs[0].keys()))
        bal = "" if balance is None else " balance=" + json.dumps(balance)
        print(f"{name}.jsonl: records={len(eval_recs)} clusters={len(clusters)} "
              f"per_cluster={min(clusters.values())}-{max(clusters.values())} shots={len(shots)}{bal}")
    (OUT_DIR / "README.md").write_text(readme(summary), encoding="utf-8")
    return 0


def readme(s: dict) -> str:
    t, c, a, q = s["tickets"], s["contacts"], s["arithmetic"], s["qa"]
    label_rows = "\n".join(f"| {k} | {v} |" for k, v in t["balance"].items())
    kind_names = {"add": "single-step addition/subtraction", "mul": "single-step multiplication/division",
                  "two": "two-step"}
    kind_rows = "\n".join(f"| `ar-{k}-*` | {kind_names[k]} | {v} |" for k, v in a["balance"].items())
    sha_rows = "\n".join(f"| `{n}.jsonl` | `{v['sha256']}` |\n| `{n}_shots.jsonl` | `{v['sha256_shots']}` |"
                         for n, v in s.items())
    return f"""# Bundled eval datasets

Generated by `generate.py` (this file included). **Do not edit the `.jsonl` files or this README by hand**;
change the templates in `generate.py` and regenerate from the repository root:

```
python evalsets/data/generate.py
```

The generator uses only the standard library and `random.Random` seeded with **`SEED = {SEED}`**
(one stream per task: `SEED * 10 + k`, k = 0..3 in the order below), so every run writes
byte-identical files. All text is original: hand-written templates filled with hand-picked slot
values (names, cities, products, numbers). Inputs are short (at most {MAX_WORDS} words) because the
smallest model under test is a 135M-parameter instruct model with a small context window.

Every record has a unique string `id` and a `cluster` = the id of the template it was generated
from. Records from one template share surface form, so treat them as correlated: use `cluster` for
clustered standard errors / cluster bootstrap. Records are shuffled, so any prefix of a file mixes
templates.

Each task also has a `*_shots.jsonl` file of few-shot examples for few-shot prompt variants. Shots
come from **separate templates** (cluster ids containing `shot`) and **held-out slot values** (names,
cities, products, devices... that never occur in the eval records), so they do not overlap with the
eval items.

## Files

| file | task | records | clusters (templates) | shots |
|---|---|---|---|---|
| `tickets.jsonl` | support-ticket routing (label classification) | {t['records']} | {t['clusters']} | {t['shots']} |
| `contacts.jsonl` | field extraction to JSON | {c['records']} | {c['clusters']} | {c['shots']} |
| `arithmetic.jsonl` | word problems, exact integer answer | {a['records']} | {a['clusters']} | {a['shots']} |
| `qa.jsonl` | short reading comprehension, span answer (token F1) | {q['records']} | {q['clusters']} | {q['shots']} |

### `tickets.jsonl` — fields `id, cluster, text, label`

- `text`: a customer support message (varied names, order numbers, products, devices, tone; each
  template has two paraphrases plus random greetings/sign-offs).
- `label`: exactly one of `billing`, `technical`, `account`, `shipping`.
  - billing: charges, refunds, invoices/receipts, payment cards, fees, discounts.
  - technical: crashes, errors, connectivity, battery, firmware, app/website malfunctions.
  - account: passwords, email/username changes, deletion, locks, two-factor, merging, security.
  - shipping: late/lost packages, tracking, address changes, transit damage, delivery options.

| label | records |
|---|---|
{label_rows}

### `contacts.jsonl` — fields `id, cluster, text, target`

- `text`: a short message containing one person's full name, one city and exactly one dollar amount
  (some templates add distractors: a date, an order/ticket number, an item).
- `target`: a JSON object with exactly the keys `name` (string, "First Last"), `city` (string) and
  `amount` (number: `42.5` for "$42.50", `120` for "$120" or "$120.00").

### `arithmetic.jsonl` — fields `id, cluster, question, answer`

- `question`: a one- or two-step word problem with small numbers.
- `answer`: the exact integer answer (a JSON number), always in 0..200.
- The cluster id encodes the kind of problem:

| cluster prefix | kind | records |
|---|---|---|
{kind_rows}

### `qa.jsonl` — fields `id, cluster, passage, question, answer`

- `passage`: 1-3 sentences.
- `question`: one question about the passage.
- `answer`: a 1-4 word span that occurs verbatim, exactly once, in the passage (score with token F1
  or exact match after normalisation).

## Checksums (sha256)

| file | sha256 |
|---|---|
{sha_rows}
"""


if __name__ == "__main__":
    sys.exit(main())
