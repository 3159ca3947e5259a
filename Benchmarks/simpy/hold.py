#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""The classic hold model in SimPy: `pending` processes, each forever holding Exp(1).

Same model as the Swift KernelBenchmark.hold: the pending-event set stays at `pending`, and every
processed event schedules one more at now + Exp(1). Prints one JSON line.
"""
import argparse
import json
import random
import time

import simpy

from common import events_scheduled


def holder(env, rng):
    timeout = env.timeout
    draw = rng.expovariate
    while True:
        yield timeout(draw(1.0))


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--pending", type=int, default=1000)
    parser.add_argument("--events", type=int, default=2_000_000)
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args()

    rng = random.Random(args.seed)
    env = simpy.Environment()
    for _ in range(args.pending):
        env.process(holder(env, rng))
    # Start every process (their Initialize events are urgent, so they come first) outside the timing.
    for _ in range(args.pending):
        env.step()

    before, queued_before = events_scheduled(env), len(env._queue)
    # Each process handles one event per unit of simulated time on average.
    horizon = args.events / args.pending
    start = time.perf_counter()
    env.run(until=horizon)
    seconds = time.perf_counter() - start
    after, queued_after = events_scheduled(env), len(env._queue)
    # Scheduled during the run, plus the queue's shrinkage, less the `until` stop event.
    processed = (after - before) + (queued_before - queued_after) - 1
    print(json.dumps({
        "model": "hold",
        "engine": f"simpy {simpy.__version__}",
        "pending": args.pending,
        "events": processed,
        "seconds": round(seconds, 6),
        "events_per_second": round(processed / seconds),
    }))


if __name__ == "__main__":
    main()
