"""Speed of the embedded local model on this machine: prompt and decode tokens/s, and prefix reuse.

    python benchmarks/local_model.py [--repeats 5]

Medians over repeats; the machine is shared, so read ratios more than absolutes.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

from harness.local_models import resolve_model_path

PROMPT = ("You route customer support tickets to billing, technical, account or shipping. " * 12).strip()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeats", type=int, default=5)
    args = ap.parse_args()
    from llama_cpp import Llama

    llm = Llama(model_path=str(resolve_model_path("smollm2-135m-instruct")), n_ctx=2048,
                n_threads=os.cpu_count(), verbose=False, seed=0)
    tokens = llm.tokenize(PROMPT.encode())
    prompt_tps, decode_tps, cold, warm = [], [], [], []
    for _ in range(args.repeats):
        llm.reset()
        start = time.perf_counter()
        llm.eval(tokens)
        prompt_tps.append(len(tokens) / (time.perf_counter() - start))

        start = time.perf_counter()
        out = llm.create_completion("Once upon a time", max_tokens=128, temperature=0)
        decode_tps.append(out["usage"]["completion_tokens"] / (time.perf_counter() - start))

        # The same long prefix with a new suffix: cold (cache reset) vs warm (prefix cached).
        for bucket, reset in ((cold, True), (warm, False)):
            if reset:
                llm.reset()
            else:
                llm.create_completion(PROMPT + " Ticket: my card was charged twice.", max_tokens=1)
            start = time.perf_counter()
            llm.create_completion(PROMPT + " Ticket: the app crashes on start.", max_tokens=1)
            bucket.append(time.perf_counter() - start)

    med = statistics.median
    print(f"prompt tokens       : {len(tokens)}")
    print(f"prompt processing   : {med(prompt_tps):8.0f} tokens/s (median of {args.repeats})")
    print(f"decoding            : {med(decode_tps):8.0f} tokens/s")
    print(f"shared-prefix sample: cold {med(cold) * 1000:6.1f} ms, warm {med(warm) * 1000:6.1f} ms "
          f"(KV prefix reuse makes it {med(cold) / med(warm):.1f}x faster)")


if __name__ == "__main__":
    main()
