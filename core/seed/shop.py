"""The shop: user accounts, the product catalogue, and orders whose totals add up to the cent."""

from __future__ import annotations

import random
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from core.seed.common import DAY, FIXED_COUNTS, split, to_ascii
from core.seed.text.shop import FIRST_NAMES, LAST_NAMES, PRODUCT_KINDS, payment, shipping, user_meta
from core.seed.text.words import compound
from core.seed.writer import Writer

_ROLES = ("player",) * 85 + ("designer",) * 5 + ("support",) * 7 + ("admin",) * 3
_DOMAINS = ("example.com", "example.org", "example.net", "mail.example")
_ORDER_STATUS = (("delivered",) * 45 + ("shipped",) * 15 + ("paid",) * 15 + ("pending",) * 10
                 + ("cancelled",) * 8 + ("refunded",) * 7)
_TAX = {"EUR": Decimal("0.19"), "GBP": Decimal("0.20"), "USD": Decimal("0.08")}
_CENT = Decimal("0.01")


def add_users(w: Writer, rng: random.Random, count: int) -> list[tuple[Any, str]]:
    """Accounts with unique e-mails and user names; returns (id, username) pairs."""
    w.table("users", "id email username display_name role is_active is_verified metadata version created_at "
                     "last_login_at")
    seen: dict[str, int] = {}
    out = []
    step = 700 * DAY / count
    for i in range(count):
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        local = to_ascii(f"{first}.{last}")
        handle = to_ascii(rng.choice((f"{first}{last[0]}", f"{first}_{last}", f"{last}{first[0]}")))
        # a number only after the first use; the bases hold no digits, so the results stay unique
        for key in (local, handle):
            seen[key] = seen.get(key, 0) + 1
        username = handle if seen[handle] == 1 else f"{handle}{seen[handle]}"
        email = (local if seen[local] == 1 else f"{local}{seen[local]}") + "@" + rng.choice(_DOMAINS)
        uid = w.uid(rng)
        created = -730 * DAY + i * step
        login = None if rng.random() < 0.1 else w.ts(created + rng.uniform(0, -created))
        w.add("users", (uid, email, username, f"{first} {last}", rng.choice(_ROLES), rng.random() < 0.95,
                        rng.random() < 0.8, w.json(user_meta(rng)), 1, w.ts(created), login))
        out.append((uid, username))
    return out


def add_products(w: Writer, rng: random.Random) -> list[tuple[Any, Decimal, bool]]:
    """The shop's catalogue, a few items free; returns (id, price, digital) per product."""
    w.table("products", "id sku name description price stock status tags version created_at updated_at")
    out = []
    for i in range(FIXED_COUNTS["products"]):
        code, pattern, tags, blurb = PRODUCT_KINDS[i % len(PRODUCT_KINDS)]
        words = {"n": rng.choice((100, 250, 500, 1200, 5000)), "x": compound(rng)}
        digital = "digital" in tags
        base = rng.choice((0, 2, 4, 9, 14, 19, 24, 29, 49, 79))
        price = Decimal(f"{base}.99") if i % 17 else Decimal("0.00")
        extra = rng.sample(("new", "sale", "bestseller", "gift"), rng.randint(0, 2))
        created = -720 * DAY + i * DAY
        pid = w.uid(rng)
        status = rng.choice(("active",) * 8 + ("draft", "discontinued"))
        w.add("products", (pid, f"{code}-{i + 1:05d}", pattern.format(**words), blurb.format(**words),
                           w.money(price), 99999 if digital else rng.randint(0, 400), status,
                           w.tags([*tags, *extra]), 1, w.ts(created),
                           w.ts(created + rng.randint(0, 300) * DAY)))
        out.append((pid, price, digital))
    return out


def add_orders(w: Writer, rng: random.Random, users: list[tuple[Any, str]],
            products: list[tuple[Any, Decimal, bool]], count: int) -> None:
    """Orders (about 8% by guests) of 1-7 lines; subtotal + tax = total, to the cent."""
    w.table("orders", "id order_number user_id status currency subtotal tax total shipping_json payment_json "
                      "version created_at updated_at")
    w.table("order_items", "id order_id product_id quantity unit_price version")
    step = 365 * DAY / count
    for block in range(0, count, 4):  # four orders share ten lines, so totals are exact at any scale
        for j, k in enumerate(split(rng, 10, 4)):
            i = block + j
            oid = w.uid(rng)
            lines = [(p, rng.choice((1, 1, 1, 1, 1, 1, 2, 2, 3, 5))) for p in rng.sample(products, k)]
            subtotal = sum((p[1] * q for p, q in lines), Decimal("0.00"))
            currency = rng.choice(("EUR", "EUR", "EUR", "GBP", "USD"))
            tax = (subtotal * _TAX[currency]).quantize(_CENT, ROUND_HALF_UP)
            ship = shipping(rng, all(p[2] for p, _ in lines))
            created = -365 * DAY + (i + rng.random()) * step
            w.add("orders", (oid, f"WD-{i + 1:07d}", None if rng.random() < 0.08 else rng.choice(users)[0],
                             rng.choice(_ORDER_STATUS), currency, w.money(subtotal), w.money(tax),
                             w.money(subtotal + tax), w.json(ship), w.json(payment(rng)), 1, w.ts(created),
                             w.ts(min(created + rng.randint(0, 20) * DAY, -60.0))))
            w.extend("order_items", [(w.uid(rng), oid, p[0], q, w.money(p[1]), 1) for p, q in lines])

