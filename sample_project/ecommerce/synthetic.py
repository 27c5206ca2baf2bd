"""Deterministic synthetic data: the same seed gives the same rows, no network needed."""

from __future__ import annotations

import random
from datetime import date

import polars as pl

CATEGORIES = ["books", "games", "garden", "kitchen", "music", "outdoor", "toys"]
COUNTRIES = ["DE", "FR", "NL", "PL", "SE", "ES", "IT"]


def customers(n: int = 500, seed: int = 7) -> pl.DataFrame:
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


def products(n: int = 120, seed: int = 11) -> pl.DataFrame:
    rng = random.Random(seed)
    return pl.DataFrame(
        {
            "product_id": list(range(1, n + 1)),
            "category": [rng.choice(CATEGORIES) for _ in range(n)],
            "price": [round(rng.uniform(2.0, 250.0), 2) for _ in range(n)],
        }
    )


def orders_for_day(day: date, n_customers: int = 500, n_products: int = 120) -> pl.DataFrame:
    """A few thousand orders placed on ``day``, seeded by the date."""
    rng = random.Random(day.toordinal())
    n = 2000 + rng.randrange(2000)
    start = day.toordinal() * 10_000
    return pl.DataFrame(
        {
            "order_id": list(range(start, start + n)),
            "order_day": [day] * n,
            "customer_id": [1 + rng.randrange(n_customers) for _ in range(n)],
            "product_id": [1 + rng.randrange(n_products) for _ in range(n)],
            "quantity": [1 + int(rng.expovariate(0.8)) for _ in range(n)],
        }
    )
