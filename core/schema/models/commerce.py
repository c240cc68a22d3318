"""Users, products and orders that support staff inspect."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from core.schema.models.base import Base, created, enum, group, json_column, key, ref, updated, version
from core.types import JSONType, Money, TagsType, UTCDateTime

USER_ROLES = ("player", "designer", "support", "admin")
PRODUCT_STATUSES = ("draft", "active", "discontinued")
ORDER_STATUSES = ("pending", "paid", "shipped", "delivered", "cancelled", "refunded")


class User(Base):
    """An account."""

    __tablename__ = "users"
    __table_args__ = group("Operations", "username")
    id: Mapped[uuid.UUID] = key()
    email: Mapped[str] = mapped_column(sa.String(254), nullable=False, unique=True)
    username: Mapped[str] = mapped_column(sa.String(40), nullable=False, unique=True)
    display_name: Mapped[str | None] = mapped_column(sa.String(80))
    role: Mapped[str] = mapped_column(enum("user_role", *USER_ROLES), nullable=False, default="player")
    is_active: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=True)
    is_verified: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=False)
    # "metadata" is reserved on declarative classes, so the attribute is meta.
    meta: Mapped[dict[str, Any]] = mapped_column("metadata", JSONType, nullable=False, default=dict)
    version: Mapped[int] = version()
    created_at: Mapped[dt.datetime] = created()
    last_login_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())


class Product(Base):
    """Something for sale."""

    __tablename__ = "products"
    __table_args__ = (
        sa.CheckConstraint("stock >= 0", name="stock_non_negative"),
        sa.CheckConstraint("price >= 0", name="price_non_negative"),
        {"info": {"group": "Operations", "label": "sku"}},
    )
    id: Mapped[uuid.UUID] = key()
    sku: Mapped[str] = mapped_column(sa.String(32), nullable=False, unique=True)
    name: Mapped[str] = mapped_column(sa.String(120), nullable=False)
    description: Mapped[str | None] = mapped_column(sa.Text)
    price: Mapped[Decimal] = mapped_column(Money, nullable=False)
    stock: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=0)
    status: Mapped[str] = mapped_column(
        enum("product_status", *PRODUCT_STATUSES), nullable=False, default="draft", index=True
    )
    tags: Mapped[list[str]] = mapped_column(TagsType, nullable=False, default=list)
    version: Mapped[int] = version()
    created_at: Mapped[dt.datetime] = created()
    updated_at: Mapped[dt.datetime] = updated()


class Order(Base):
    """A purchase; user_id is NULL for guest orders."""

    __tablename__ = "orders"
    __table_args__ = (
        # Support filters by status, newest first (the editor's default order).
        sa.Index("ix_orders_status_created", "status", "created_at"),
        group("Operations", "order_number", order_by="-created_at"),
    )
    id: Mapped[uuid.UUID] = key()
    order_number: Mapped[str] = mapped_column(sa.String(20), nullable=False, unique=True)
    user_id: Mapped[uuid.UUID | None] = ref("users.id", ondelete="SET NULL", nullable=True)
    status: Mapped[str] = mapped_column(
        enum("order_status", *ORDER_STATUSES), nullable=False, default="pending"
    )
    currency: Mapped[str] = mapped_column(sa.String(3), nullable=False, default="EUR")
    subtotal: Mapped[Decimal] = mapped_column(Money, nullable=False)
    tax: Mapped[Decimal] = mapped_column(Money, nullable=False, default=Decimal("0.00"))
    total: Mapped[Decimal] = mapped_column(Money, nullable=False)
    shipping_json: Mapped[dict[str, Any]] = json_column()
    payment_json: Mapped[dict[str, Any]] = json_column()
    version: Mapped[int] = version()
    created_at: Mapped[dt.datetime] = created()
    updated_at: Mapped[dt.datetime] = updated()


class OrderItem(Base):
    """One line of an order."""

    __tablename__ = "order_items"
    __table_args__ = (
        sa.CheckConstraint("quantity > 0", name="quantity_positive"),
        {"info": {"group": "Operations", "label": "quantity", "link": True}},
    )
    id: Mapped[uuid.UUID] = key()
    order_id: Mapped[uuid.UUID] = ref("orders.id", ondelete="CASCADE")
    product_id: Mapped[uuid.UUID] = ref("products.id", ondelete="RESTRICT")
    quantity: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=1)
    unit_price: Mapped[Decimal] = mapped_column(Money, nullable=False)
    version: Mapped[int] = version()
