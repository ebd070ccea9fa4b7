"""`python -m harness.testing --port 8765`: run the fake providers by hand."""

from __future__ import annotations

import argparse
import sys
import threading

from ._rules import RulesError, load_rules, rules_answer
from ._script import Script, echo, fixed
from ._server import FakeProviders


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m harness.testing", description="Fake Anthropic/OpenAI server on 127.0.0.1."
    )
    parser.add_argument("--port", type=int, default=8765, help="port to listen on (0 picks a free one)")
    parser.add_argument("--answer", default=None, help="fixed answer text (default: echo the last user message)")
    parser.add_argument("--rules", default=None, metavar="FILE", help="a YAML file of answer rules (model, system, "
                        "match -> answer; docs/fake-server.md); --answer is then the answer when none matches")
    parser.add_argument("--batch-seconds", type=float, default=0.0, help="how long a batch stays in progress")
    parser.add_argument("--latency", type=float, default=0.0, help="seconds before each sync answer")
    parser.add_argument("--quiet", action="store_true", help="do not log each request")
    args = parser.parse_args(argv)

    answer = fixed(args.answer) if args.answer is not None else echo()
    if args.rules is not None:
        try:
            rules, default = load_rules(args.rules)
        except RulesError as exc:
            print(f"python -m harness.testing: {exc}", file=sys.stderr)
            sys.exit(2)
        answer = rules_answer(rules, args.answer if args.answer is not None else default)
    script = Script(
        answer=answer,
        latency=args.latency,
        batch_processing_seconds=args.batch_seconds,
    )
    fake = FakeProviders(script, port=args.port, verbose=not args.quiet).start()
    print(f"fake providers listening on {fake.url}", flush=True)
    for name, value in fake.env().items():
        print(f"  export {name}={value}", flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        fake.stop()


if __name__ == "__main__":
    main()
