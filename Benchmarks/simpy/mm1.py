#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""M/M/1 (lambda = 0.8, mu = 1) in SimPy with a `Resource`: the textbook process-style model.

Same queue as the Swift KernelBenchmark.mm1. SimPy needs about six events per customer (arrival
timeout, process start, request, service timeout, release, process end) where the Swift event-scheduling
model needs two, so customers per second is the like-for-like figure; events per second counts SimPy's
own events. Prints one JSON line.
"""
import argparse
import json
import random
import time

import simpy

from common import events_scheduled


def source(env, server, arrivals, service, customers, lam, mu, stats):
    for _ in range(customers):
        yield env.timeout(arrivals.expovariate(lam))
        env.process(customer(env, server, service, mu, stats))


def customer(env, server, service, mu, stats):
    arrived = env.now
    with server.request() as request:
        yield request
        yield env.timeout(service.expovariate(mu))
    stats[0] += env.now - arrived
    stats[1] += 1


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--customers", type=int, default=500_000)
    parser.add_argument("--arrival-rate", type=float, default=0.8)
    parser.add_argument("--service-rate", type=float, default=1.0)
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args()

    env = simpy.Environment()
    server = simpy.Resource(env, capacity=1)
    stats = [0.0, 0]
    arrivals, service = random.Random(args.seed), random.Random(args.seed + 1)
    env.process(source(env, server, arrivals, service, args.customers,
                       args.arrival_rate, args.service_rate, stats))
    start = time.perf_counter()
    env.run()
    seconds = time.perf_counter() - start
    events = events_scheduled(env)
    print(json.dumps({
        "model": "mm1",
        "engine": f"simpy {simpy.__version__}",
        "customers": stats[1],
        "events": events,
        "seconds": round(seconds, 6),
        "events_per_second": round(events / seconds),
        "customers_per_second": round(stats[1] / seconds),
        "mean_response": stats[0] / stats[1],
    }))


if __name__ == "__main__":
    main()
