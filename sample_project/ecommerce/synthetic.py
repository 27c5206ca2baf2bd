"""Deterministic synthetic data: the same seed gives the same rows, no network needed.

Every generator is seeded (orders by their day), so re-materializing a partition yields the
same frame and the sample project's numbers are stable across machines and runs.
"""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, time, timedelta

import polars as pl

CATEGORIES = ["books", "games", "garden", "kitchen", "music", "outdoor", "toys"]
COUNTRIES = ["de", "fr", "nl", "pl", "se", "es", "it"]
CHANNELS = ["web", "app", "marketplace"]
N_CUSTOMERS = 500
N_PRODUCTS = 120


def customers(n: int = N_CUSTOMERS, seed: int = 7) -> pl.DataFrame:
    """The CRM's customers: id, name, a lower-case country code and a signup day."""
    rng = random.Random(seed)
    return pl.DataFrame(
        {
            "customer_id": list(range(1, n + 1)),
            "name": [f"customer-{i:04d}" for i in range(1, n + 1)],
            "country": [rng.choice(COUNTRIES) for _ in range(n)],
            "signup_day": [
                date(2025, 1 + rng.randrange(12), 1 + rng.randrange(28)) for _ in range(n)
            ],
        }
    )


def products(n: int = N_PRODUCTS, seed: int = 11) -> pl.DataFrame:
    """The catalogue: id, name, category and list price."""
    rng = random.Random(seed)
    categories = [rng.choice(CATEGORIES) for _ in range(n)]
    return pl.DataFrame(
        {
            "product_id": list(range(1, n + 1)),
            "name": [f"{c}-{i:03d}" for i, c in enumerate(categories, start=1)],
            "category": categories,
            "price": [round(rng.uniform(2.0, 250.0), 2) for _ in range(n)],
        }
    )


def orders_for_day(day: date) -> pl.DataFrame:
    """Two to four thousand orders placed on ``day``, seeded by the date.

    About one order in two hundred arrives twice (a re-sent event), as real feeds do; the
    clean layer removes the duplicates.
    """
    rng = random.Random(day.toordinal())
    n = 2000 + rng.randrange(2000)
    first_id = day.toordinal() * 10_000
    midnight = datetime.combine(day, time(), tzinfo=UTC)
    ids = list(range(first_id, first_id + n))
    frame = pl.DataFrame(
        {
            "order_id": ids,
            "order_day": [day] * n,
            "ordered_at": [midnight + timedelta(seconds=rng.randrange(86_400)) for _ in ids],
            "customer_id": [1 + rng.randrange(N_CUSTOMERS) for _ in ids],
            "product_id": [1 + rng.randrange(N_PRODUCTS) for _ in ids],
            "quantity": [1 + int(rng.expovariate(0.8)) for _ in ids],
            "channel": [rng.choice(CHANNELS) for _ in ids],
        }
    )
    resent = frame.sample(n=n // 200, seed=day.toordinal())
    return pl.concat([frame, resent]).sort("ordered_at")
