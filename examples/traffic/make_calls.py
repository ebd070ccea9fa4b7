"""Writes calls.jsonl: a made-up morning of logged production calls of a parcel-delivery help desk, in the
OpenAI Chat Completions request/response format (docs/traffic.md), for the walk-through in README.md.

Every text is written here, by hand and from templates; no model produced any of it and no real person is in
it. Rebuild with `python examples/traffic/make_calls.py` (deterministic: the same file every time).
"""

from __future__ import annotations

import hashlib
import json
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

OUT = Path(__file__).with_name("calls.jsonl")
START = datetime(2025, 3, 1, 8, 0, tzinfo=UTC)

ROUTE_SYSTEM = "You route customer support tickets. Reply with one word: billing, technical, account or shipping."
REPLY_SYSTEM = ("You answer customer messages for Parcelly, a parcel delivery service. Reply in one or two friendly "
                "sentences.")

# Each ticket names its topic through words the fake's rules (rules.yaml) also key on.
TICKETS = {
    "billing": ["I was charged twice for order {n}", "My invoice for order {n} shows the wrong amount",
                "Why was my card charged again this month, order {n}", "Please send a receipt for the payment on {n}"],
    "technical": ["The tracking page crashes when I open parcel {n}", "Your app shows an error on the tracking screen",
                  "The tracking link in the email for {n} gives a 404 error", "The app freezes when I scan label {n}"],
    "account": ["I cannot log in to my account since yesterday", "How do I change the password of my account",
                "Please delete my account and all my data", "My account is locked after three login attempts"],
    "shipping": ["Parcel {n} has not arrived after ten days", "Can you deliver parcel {n} to my neighbour instead",
                 "Where is my parcel {n}, the courier never came", "Parcel {n} was delivered to the wrong address"],
}
# (topic, customer message, the reply the production model gave)
MESSAGES = [
    ("refund", "Parcel {n} arrived broken, I want a refund please",
     "Hello, I am sorry the parcel arrived damaged. Please send us a photo of it and we will look into a refund."),
    ("refund", "I paid for express delivery of {n} but it took a week, can I get a refund",
     "Hello, I am sorry the delivery was late. I have passed your request to our billing team."),
    ("invoice", "Can you send me an invoice for parcel {n} with my company name on it",
     "Hello, of course. Please reply with your company name and address and we will send the invoice."),
    ("late", "Parcel {n} says out for delivery since Monday, what is going on",
     "Hello, I am sorry for the wait. The courier has your parcel and should deliver it within two days."),
    ("address", "I moved last week, can parcel {n} go to my new address",
     "Hello, yes. Please reply with the new address and we will update the delivery of your parcel."),
    ("pickup", "Can I collect parcel {n} at the depot instead of waiting at home",
     "Hello, yes. Bring your ID and the parcel number to the depot; it is open from 8 to 18."),
]


def _response(i: int, model: str, text: str, prompt_tokens: int, created: datetime) -> dict:
    return {"id": f"chatcmpl-demo{i:04d}", "object": "chat.completion", "created": int(created.timestamp()),
            "model": model, "system_fingerprint": "fp_demo",
            "choices": [{"index": 0, "message": {"role": "assistant", "content": text, "refusal": None},
                         "logprobs": None, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": prompt_tokens, "completion_tokens": max(1, round(len(text.split()) * 1.3)),
                      "total_tokens": prompt_tokens + max(1, round(len(text.split()) * 1.3))}}


def _tokens(*texts: str) -> int:
    return round(sum(len(t.split()) for t in texts) * 1.3) + 7


def _user(i: int) -> str:
    return "user-" + hashlib.sha256(f"demo-{i % 40}".encode()).hexdigest()[:8]


def lines() -> list[dict]:
    rng = random.Random(12)
    out = []
    labels = sorted(TICKETS)
    for i in range(120):
        label = labels[i % 4]
        ticket = TICKETS[label][(i // 4) % 4].format(n=40100 + i)
        when = START + timedelta(minutes=i, seconds=rng.randrange(60))
        request = {"model": "gpt-4o-mini", "max_tokens": 5, "temperature": 0,
                   "messages": [{"role": "system", "content": ROUTE_SYSTEM}, {"role": "user", "content": ticket}]}
        response = _response(i, "gpt-4o-mini-2024-07-18", label, _tokens(ROUTE_SYSTEM, ticket), when)
        out.append({"request": request, "response": response,
                    "metadata": {"feature": "route", "user": _user(i), "ts": when.isoformat()}})
    for j in range(30):
        topic, message, reply = MESSAGES[j % len(MESSAGES)]
        text = message.format(n=52000 + j)
        when = START + timedelta(minutes=4 * j, seconds=rng.randrange(240))
        request = {"model": "gpt-4o", "max_tokens": 80, "temperature": 0.2,
                   "messages": [{"role": "system", "content": REPLY_SYSTEM}, {"role": "user", "content": text}]}
        response = _response(1000 + j, "gpt-4o-2024-08-06", reply, _tokens(REPLY_SYSTEM, text), when)
        out.append({"request": request, "response": response,
                    "metadata": {"feature": "reply", "user": _user(1000 + j), "ts": when.isoformat(), "topic": topic}})
    out.sort(key=lambda x: x["metadata"]["ts"])
    return out


if __name__ == "__main__":
    OUT.write_text("".join(json.dumps(x, ensure_ascii=False) + "\n" for x in lines()))
    print(f"{OUT}: {len(lines())} calls")
