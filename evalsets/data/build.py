#!/usr/bin/env python3
"""Rebuild the bundled public-data subsets in evalsets/data/ from the source files in sources/.

Run from the repository root (stdlib only, seeded, byte-identical on every run):

    python evalsets/data/build.py            # writes the files
    python evalsets/data/build.py --check    # exits 1 if a committed file differs from its rebuild

Sources (copied unchanged into sources/, with their licenses; provenance in README.md):
- banking77 (PolyAI-LDN/task-specific-datasets, CC-BY-4.0): online-banking customer messages, each
  labelled with one of 77 intents. The 77 intents are grouped here into six support queues (QUEUES
  below, this project's grouping), which is the routing decision a support desk makes.
- SQuAD 2.0 dev (Rajpurkar et al. 2018, CC-BY-SA-4.0): the first five articles of the dev set, from a
  public copy (see README.md). Only answerable questions on passages of at most MAX_PASSAGE_WORDS words
  are kept: the local models run on two CPU cores, and prompt length is what a local call's time is.

Why stratified samples, drawn before anything is evaluated: every queue gets the same number of eval
records (so chance is 1/6 and no queue dominates the score), and the seed is fixed here, not chosen
after looking at any model's score.
"""

from __future__ import annotations

import csv
import json
import random
import re
import sys
from collections import defaultdict
from pathlib import Path

HERE = Path(__file__).resolve().parent
SOURCES = HERE / "sources"
SEED = 20261201

# Six queues of a bank's support desk; every banking77 intent belongs to exactly one.
QUEUES: dict[str, tuple[str, ...]] = {
    "card": (
        "activate_my_card", "apple_pay_or_google_pay", "card_about_to_expire", "card_acceptance",
        "card_arrival", "card_delivery_estimate", "card_linking", "card_not_working", "card_swallowed",
        "change_pin", "compromised_card", "contactless_not_working", "disposable_card_limits",
        "get_disposable_virtual_card", "get_physical_card", "getting_spare_card", "getting_virtual_card",
        "lost_or_stolen_card", "order_physical_card", "pin_blocked", "supported_cards_and_currencies",
        "virtual_card_not_working", "visa_or_mastercard"),
    "payment": (
        "Refund_not_showing_up", "card_payment_fee_charged", "card_payment_not_recognised",
        "card_payment_wrong_exchange_rate", "declined_card_payment", "direct_debit_payment_not_recognised",
        "exchange_charge", "exchange_rate", "exchange_via_app", "extra_charge_on_statement",
        "fiat_currency_support", "pending_card_payment", "request_refund", "reverted_card_payment?",
        "transaction_charged_twice"),
    "transfer": (
        "balance_not_updated_after_bank_transfer", "beneficiary_not_allowed", "cancel_transfer",
        "declined_transfer", "failed_transfer", "pending_transfer", "receiving_money", "transfer_fee_charged",
        "transfer_into_account", "transfer_not_received_by_recipient", "transfer_timing"),
    "topup": (
        "automatic_top_up", "balance_not_updated_after_cheque_or_cash_deposit", "pending_top_up",
        "top_up_by_bank_transfer_charge", "top_up_by_card_charge", "top_up_by_cash_or_cheque", "top_up_failed",
        "top_up_limits", "top_up_reverted", "topping_up_by_card", "verify_top_up"),
    "cash": (
        "atm_support", "cash_withdrawal_charge", "cash_withdrawal_not_recognised", "declined_cash_withdrawal",
        "pending_cash_withdrawal", "wrong_amount_of_cash_received", "wrong_exchange_rate_for_cash_withdrawal"),
    "account": (
        "age_limit", "country_support", "edit_personal_details", "lost_or_stolen_phone", "passcode_forgotten",
        "terminate_account", "unable_to_verify_identity", "verify_my_identity", "verify_source_of_funds",
        "why_verify_identity"),
}
QUEUE_OF = {intent: queue for queue, intents in QUEUES.items() for intent in intents}

TICKETS_PER_QUEUE = 50          # eval records per queue: 300 in all
SHOTS_PER_QUEUE = 2             # few-shot examples per queue (from the train split): 12 in all
TRAIN_RECORDS = 3000            # the classifier's training records (from the train split, minus the shots)
MAX_PASSAGE_WORDS = 100
QA_RECORDS = 300
QA_SHOTS = 2


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip().lower()


def _read_banking(name: str) -> list[dict[str, str]]:
    with (SOURCES / "banking77" / name).open(newline="", encoding="utf-8") as f:
        rows = [{"text": re.sub(r"\s+", " ", r["text"]).strip(), "intent": r["category"]} for r in csv.DictReader(f)]
    intents = {r["intent"] for r in rows}
    unknown = intents - set(QUEUE_OF)
    if unknown:
        raise SystemExit(f"build.py: intents without a queue in {name}: {sorted(unknown)}")
    return rows


def tickets() -> dict[str, list[dict]]:
    rng = random.Random(SEED)
    test, train = _read_banking("test.csv"), _read_banking("train.csv")
    # banking77 repeats a few messages across its splits; an eval record whose text is in the train
    # split would let the classifier be scored on what it learned from.
    train_texts = {_norm(r["text"]) for r in train}
    by_queue: dict[str, list[tuple[int, dict]]] = defaultdict(list)
    seen: set[str] = set()
    for i, r in enumerate(test):
        key = _norm(r["text"])
        if key in train_texts or key in seen or len(r["text"].split()) > 40:
            continue
        seen.add(key)
        by_queue[QUEUE_OF[r["intent"]]].append((i, r))
    evals = []
    for queue in QUEUES:
        for i, r in rng.sample(by_queue[queue], TICKETS_PER_QUEUE):
            evals.append({"id": f"b77-test-{i:04d}", "cluster": r["intent"], "text": r["text"], "label": queue})
    rng.shuffle(evals)

    train_rows = [(i, r) for i, r in enumerate(train) if len(r["text"].split()) <= 40]
    train_by_queue: dict[str, list[tuple[int, dict]]] = defaultdict(list)
    for i, r in train_rows:
        train_by_queue[QUEUE_OF[r["intent"]]].append((i, r))
    shots, shot_ids = [], set()
    for queue in QUEUES:
        # short, distinct examples read best as shots for a 270M model
        pool = [(i, r) for i, r in train_by_queue[queue] if len(r["text"].split()) <= 14]
        for i, r in rng.sample(pool, SHOTS_PER_QUEUE):
            shots.append({"id": f"b77-train-{i:05d}", "cluster": r["intent"], "text": r["text"], "label": queue})
            shot_ids.add(i)
    # interleave the queues (card, payment, ..., card, payment, ...) so no label sits last by position alone
    shots = [shots[q * SHOTS_PER_QUEUE + k] for k in range(SHOTS_PER_QUEUE) for q in range(len(QUEUES))]
    rest = [(i, r) for i, r in train_rows if i not in shot_ids]
    train_out = [{"id": f"b77-train-{i:05d}", "cluster": r["intent"], "text": r["text"], "label": QUEUE_OF[r["intent"]]}
                 for i, r in sorted(rng.sample(rest, TRAIN_RECORDS))]
    return {"tickets.jsonl": evals, "tickets_shots.jsonl": shots,
            "tickets_shots_6.jsonl": shots[:len(QUEUES)], "tickets_train.jsonl": train_out}


def reading_qa() -> dict[str, list[dict]]:
    rng = random.Random(SEED + 1)
    data = json.loads((SOURCES / "squad" / "dev-v2.0-first5.json").read_text(encoding="utf-8"))
    records = []
    for article in data["data"]:
        for p, para in enumerate(article["paragraphs"]):
            passage = re.sub(r"\s+", " ", para["context"]).strip()
            if len(passage.split()) > MAX_PASSAGE_WORDS:
                continue
            for qa in para["qas"]:
                if qa.get("is_impossible") or not qa["answers"]:
                    continue
                answers = list(dict.fromkeys(a["text"].strip() for a in qa["answers"]))
                records.append({"id": qa["id"], "cluster": f"{article['title']}/{p}", "passage": passage,
                                "question": qa["question"].strip(), "answer": answers})
    # The shots come from paragraphs that no eval record uses, so a shot never gives an answer away.
    paragraphs = sorted({r["cluster"] for r in records})
    shot_paragraphs = set(rng.sample(paragraphs, QA_SHOTS))
    shots = [r for r in records if r["cluster"] in shot_paragraphs]
    shots = [next(r for r in shots if r["cluster"] == c) for c in sorted(shot_paragraphs)]
    shots = [{**r, "answer": r["answer"][0]} for r in shots]  # a shot's turn shows one answer
    pool = [r for r in records if r["cluster"] not in shot_paragraphs]
    evals = rng.sample(pool, min(QA_RECORDS, len(pool)))
    return {"qa.jsonl": evals, "qa_shots.jsonl": shots}


def jsonl(records: list[dict]) -> bytes:
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records).encode("utf-8")


def build() -> dict[str, bytes]:
    return {name: jsonl(rows) for name, rows in {**tickets(), **reading_qa()}.items()}


def write_or_check(built: dict[str, bytes], folder: Path, script: str, argv: list[str]) -> int:
    """Write the rebuilt files into `folder`, or with --check say which committed ones differ (exit 1).
    generate.py uses it too, so both scripts write and check the same way."""
    if "--check" in argv:
        differ = [n for n, b in built.items() if not (folder / n).is_file() or (folder / n).read_bytes() != b]
        for n in differ:
            print(f"{script}: evalsets/data/{n} differs from its rebuild", file=sys.stderr)
        return 1 if differ else 0
    for name, blob in built.items():
        (folder / name).write_bytes(blob)
        records = blob.count(b"\n")
        print(f"wrote evalsets/data/{name} ({records} records)")
    return 0


def main(argv: list[str]) -> int:
    return write_or_check(build(), HERE, "build.py", argv)


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
